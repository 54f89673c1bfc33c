/* The head's batch form: "select all", and a return reason shown only for the rows left unchecked. */
(function () {
  var form = document.getElementById('batch-form'), all = document.getElementById('select-all');
  if (!form || !all) return;
  var boxes = Array.prototype.slice.call(form.querySelectorAll('.approve-box'));
  function sync() {
    boxes.forEach(function (box) {
      var row = box.closest('tr'), reason = row.querySelector('.reason-field');
      reason.hidden = box.checked;
      row.classList.toggle('to-return', !box.checked);
    });
    all.checked = boxes.every(function (b) { return b.checked; });
  }
  all.addEventListener('change', function () { boxes.forEach(function (b) { b.checked = all.checked; }); sync(); });
  boxes.forEach(function (b) { b.addEventListener('change', sync); });
  sync();
})();
