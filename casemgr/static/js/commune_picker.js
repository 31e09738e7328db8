// The commune picker: a filter box over the province's communes (by name without diacritics,
// or by code) and the count of ticked communes. Without this script the list is all shown.
(function () {
  "use strict";
  function fold(text) {
    return text
      .normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "")
      .replace(/đ/g, "d")
      .replace(/Đ/g, "D")
      .toLowerCase()
      .trim();
  }
  function enhance(picker) {
    var boxes = Array.prototype.slice.call(picker.querySelectorAll("[data-commune]"));
    var wrapper = picker.querySelector("[data-commune-filter]");
    var input = picker.querySelector("[data-commune-filter-input]");
    var none = picker.querySelector("[data-commune-none]");
    var count = picker.querySelector("[data-commune-count]");
    if (!boxes.length || !wrapper || !input) {
      return;
    }
    var keys = boxes.map(function (box) {
      return fold(box.textContent);
    });
    wrapper.hidden = false;
    input.addEventListener("input", function () {
      var query = fold(input.value);
      var shown = 0;
      boxes.forEach(function (box, index) {
        var match = !query || keys[index].indexOf(query) !== -1;
        box.hidden = !match;
        if (match) {
          shown += 1;
        }
      });
      if (none) {
        none.hidden = shown > 0;
      }
    });
    // Enter in the filter box would send the form: it only filters.
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();
      }
    });
    if (count) {
      // The count is of the boxes ticked on the page (what will be sent), from the start: the
      // browser may restore ticks on reload.
      var template = count.getAttribute("data-template");
      var recount = function () {
        var ticked = picker.querySelectorAll("[data-commune] input:checked").length;
        count.textContent = template.replace("{n}", String(ticked));
      };
      recount();
      picker.addEventListener("change", function (event) {
        if (event.target.matches("[data-commune] input[type=checkbox]")) {
          recount();
        }
      });
    }
  }
  document.querySelectorAll("[data-commune-picker]").forEach(enhance);
})();
