// Progressive enhancement of the admin list: a select-all box and a count of the selection.
// Everything works without this file; it adds no action of its own.
"use strict";
(function () {
  var all = document.getElementById("select-all");
  var count = document.getElementById("selected-count");
  if (!all || !count) {
    return;
  }
  var boxes = Array.prototype.slice.call(document.querySelectorAll('input[name="ids"]'));
  if (boxes.length === 0) {
    return;
  }
  function update() {
    var chosen = boxes.filter(function (b) { return b.checked; }).length;
    all.checked = chosen === boxes.length;
    all.indeterminate = chosen > 0 && chosen < boxes.length;
    count.textContent = chosen ? count.getAttribute("data-text").replace("{n}", String(chosen)) : "";
  }
  all.hidden = false;
  all.addEventListener("change", function () {
    boxes.forEach(function (b) { b.checked = all.checked; });
    update();
  });
  boxes.forEach(function (b) { b.addEventListener("change", update); });
  update();
}());
