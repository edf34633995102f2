// report.html's event table: a plain substring filter over its rows.
(function () {
  'use strict';
  var filter = document.getElementById('ev-filter');
  if (!filter) { return; }
  filter.addEventListener('input', function () {
    var q = this.value.toLowerCase();
    var rows = document.querySelectorAll('#ev-table tbody tr');
    for (var i = 0; i < rows.length; i++) {
      rows[i].hidden = q !== '' && rows[i].textContent.toLowerCase().indexOf(q) < 0;
    }
  });
}());
