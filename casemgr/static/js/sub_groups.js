// Sub-groups follow the chosen target group: the other groups' boxes are hidden and unticked.
// Without this script the server does the same on "Update sub-groups" (and refuses a mismatch).
(function () {
  "use strict";
  function follow(form) {
    var select = form.querySelector("[data-group-select]");
    var fieldset = form.querySelector("[data-sub-groups]");
    if (!select || !fieldset) {
      return;
    }
    var refresh = form.querySelector("[data-refresh-sub-groups]");
    if (refresh) {
      refresh.hidden = true;
    }
    var empty = fieldset.querySelector("[data-no-sub-groups]");
    function update() {
      var group = select.value;
      var shown = 0;
      fieldset.querySelectorAll(".form-check[data-group]").forEach(function (box) {
        var match = box.getAttribute("data-group") === group;
        box.hidden = !match;
        if (match) {
          shown += 1;
        } else {
          box.querySelectorAll("input").forEach(function (input) {
            input.checked = false;
          });
        }
      });
      if (empty) {
        empty.hidden = shown > 0;
        empty.textContent = group
          ? empty.getAttribute("data-none-text")
          : empty.getAttribute("data-choose-text");
      }
    }
    select.addEventListener("change", update);
    update();
  }
  document.querySelectorAll("form[data-case-form]").forEach(follow);
})();
