/* filter the rows of a table on this page by the words typed (offline, no libraries) */
document.querySelectorAll("input[data-filter]").forEach(function (box) {
  box.addEventListener("input", function () {
    var words = box.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    document.querySelectorAll(box.dataset.filter + " tbody tr").forEach(function (row) {
      var text = row.textContent.toLowerCase();
      row.hidden = !words.every(function (w) { return text.indexOf(w) >= 0; });
    });
  });
});
