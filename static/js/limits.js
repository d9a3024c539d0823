// Counts the characters of every text area that declares a limit (data-limit, see
// corp_billing/widgets.py) as the person types; the server still refuses a longer text.
(function () {
  "use strict";
  function update(area, hint) {
    var limit = parseInt(area.getAttribute("data-limit"), 10);
    var used = area.value.length;
    var over = used > limit;
    hint.textContent = used.toLocaleString("en") + " of " + limit.toLocaleString("en") +
      " characters" + (over ? ": " + (used - limit).toLocaleString("en") + " too many." : ".");
    hint.classList.toggle("over", over);
  }
  document.querySelectorAll("textarea[data-limit]").forEach(function (area) {
    var hint = document.getElementById(area.id + "-limit");
    if (!hint) { return; }
    update(area, hint);
    area.addEventListener("input", function () { update(area, hint); });
  });
})();
