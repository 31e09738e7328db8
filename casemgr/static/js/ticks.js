// The reassignment list's count of ticked cases follows the boxes as they are ticked: the
// server counted the ticks of the other pages (kept in the form as hidden values) and of this
// page as it was shown. Without this script, "Update the count" (or a page change) recounts.
(function () {
  "use strict";
  document.querySelectorAll("form[data-ticks]").forEach(function (form) {
    var counts = form.querySelectorAll("[data-ticks-count]");
    var boxes = form.querySelectorAll("input[type=checkbox][name=cases]");
    if (counts.length === 0) {
      return;
    }
    var shown = 0;
    boxes.forEach(function (box) {
      if (box.defaultChecked) {
        shown += 1;
      }
    });
    var elsewhere = parseInt(counts[0].textContent, 10) - shown;
    var recount = form.querySelector("[data-ticks-recount]");
    if (recount) {
      recount.hidden = true;
    }
    function update() {
      var ticked = 0;
      boxes.forEach(function (box) {
        if (box.checked) {
          ticked += 1;
        }
      });
      counts.forEach(function (count) {
        count.textContent = String(elsewhere + ticked);
      });
    }
    form.addEventListener("change", update);
    update(); // a browser that restored ticks (back button) shows them counted
  });
})();
