"""An index for the "My tasks" inbox on viewflow's task table (a library model: no model state).

Each arm of the inbox's UNION reads the open tasks of one node in waiting order; this partial
index holds only open tasks, so it stays small however many tasks are done."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("workflows", "0001_initial"),
        ("viewflow", "0015_task_scheduled"),
    ]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX workflows_open_task_by_node ON viewflow_task (flow_task, created, id) "
            "WHERE status IN ('NEW', 'ASSIGNED')",
            "DROP INDEX IF EXISTS workflows_open_task_by_node",
        ),
    ]
