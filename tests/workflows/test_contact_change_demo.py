import io

from django.core.management import call_command
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from contacts.models import ContactChange, ContactChangeStatus


def test_seed_demo_leaves_one_pending_contact_change_waiting_for_the_representative(db):
    # When the demo data is loaded twice
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())
    # Then Acme has one pending addition and one declined change, once
    changes = ContactChange.objects.filter(account__number="OV-1002345").order_by("pk")
    assert [(c.kind, c.status) for c in changes] == [
        ("make_primary", ContactChangeStatus.DECLINED),
        ("add", ContactChangeStatus.PENDING),
    ]
    assert changes[1].new_login_id == "acme.purchasing"
    # And the pending one is an open task of the representative's
    open_tasks = Task.objects.filter(
        process__contactchangeprocess__change=changes[1], status__in=[STATUS.NEW, STATUS.ASSIGNED]
    )
    assert [t.flow_task.name for t in open_tasks] == ["confirm"]
