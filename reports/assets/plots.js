// report.html's plots: draws them with plotly.js, zooms all time plots together, follows the
// zoom in the message sequence diagram, and links failure markers to their rows.
(function () {
  'use strict';
  var spec = JSON.parse(document.getElementById('report-figures').textContent);
  var config = {displaylogo: false, responsive: true, scrollZoom: false,
                modeBarButtonsToRemove: ['lasso2d', 'select2d', 'autoScale2d']};
  var timePlots = [];
  var sequence = null;
  var syncing = false;

  function goTo(anchor) {
    var row = document.getElementById(anchor);
    if (!row) { return; }
    var details = row.closest('details');
    if (details) { details.open = true; }
    window.location.hash = anchor;
    row.scrollIntoView({block: 'center'});
  }

  // The time range a relayout event sets: [t0, t1], 'auto', or null when it sets none.
  function rangeOf(ev) {
    if (ev['xaxis.autorange']) { return 'auto'; }
    if (ev['xaxis.range[0]'] !== undefined) { return [ev['xaxis.range[0]'], ev['xaxis.range[1]']]; }
    if (ev['xaxis.range']) { return ev['xaxis.range'].slice(); }
    return null;
  }

  function showInSequence(range) {
    if (!sequence) { return; }
    var times = spec.sequence_times;
    // The span's first message (or the first one after it) and its last one.
    var first = 0;
    if (range !== 'auto') {
      while (first < times.length && times[first] < range[0]) { first++; }
    }
    var last = first - 1;
    while (range !== 'auto' && last + 1 < times.length && times[last + 1] <= range[1]) { last++; }
    var band = 0;  // the first shape: see reports/figures.py
    var update = {};
    update['shapes[' + band + '].visible'] = last >= first;
    update['shapes[' + band + '].y0'] = first - 0.5;
    update['shapes[' + band + '].y1'] = last + 0.5;
    // Keep the number of rows shown (and so their spacing): scroll to the span's first message.
    var shown = Math.min(spec.sequence_rows, times.length);
    var top = Math.max(0, Math.min(first, times.length - shown));
    update['yaxis.range'] = [top + shown - 0.5, top - 0.9];
    Plotly.relayout(sequence, update);
  }

  function setTimeRange(range, origin) {
    if (syncing) { return; }
    syncing = true;
    var update = range === 'auto' ? {'xaxis.autorange': true} : {'xaxis.range': range.slice()};
    var pending = timePlots.filter(function (d) { return d !== origin; })
      .map(function (d) { return Plotly.relayout(d, update); });
    Promise.all(pending).then(function () { syncing = false; }, function () { syncing = false; });
    showInSequence(range);
  }
  window.evbenchReport = {setTimeRange: setTimeRange, plots: timePlots};

  spec.figures.forEach(function (figure) {
    var div = document.getElementById(figure.id);
    Plotly.newPlot(div, figure.data, figure.layout, config);
    div.on('plotly_clickannotation', function (ev) {
      if (ev.annotation && ev.annotation.name) { goTo(ev.annotation.name); }
    });
    if (figure.linked) {
      timePlots.push(div);
      div.on('plotly_relayout', function (ev) {
        var range = rangeOf(ev);
        if (range !== null) { setTimeRange(range, div); }
      });
    } else if (figure.id === 'sequence-diagram') {
      sequence = div;
    }
  });

  // "t" links in the tables zoom every plot around that time.
  document.querySelectorAll('a.zoom[data-t]').forEach(function (a) {
    a.addEventListener('click', function () {
      var t = parseFloat(a.getAttribute('data-t'));
      var half = Math.max(spec.zoom_half_width_s, 1);
      setTimeRange([t - half, t + half], null);
    });
  });
}());
