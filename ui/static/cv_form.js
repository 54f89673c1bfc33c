/* Fill the grade name and the salary coefficient from the catalogues (Nghị định 204/2004/NĐ-CP), which the
   page carries in the form's data-grades and data-groups attributes. */
(function () {
  var form = document.querySelector('.cv-form');
  if (!form) return;
  var grades = JSON.parse(form.dataset.grades || '{}'), groups = JSON.parse(form.dataset.groups || '{}');
  var code = form.elements['grade_code'], name = form.elements['grade_name'];
  var step = form.elements['salary_step'], coef = form.elements['salary_coefficient'];
  function update(changed) {
    var grade = grades[code.value];
    if (!grade) return;
    if (changed === code && (!name.value || name.dataset.auto === '1')) { name.value = grade[0]; name.dataset.auto = '1'; }
    var group = groups[grade[1]], s = parseInt(step.value, 10);
    if (group && s >= 1 && s <= group[2] && (!coef.value || coef.dataset.auto === '1')) {
      coef.value = (parseFloat(group[0]) + parseFloat(group[1]) * (s - 1)).toFixed(2); coef.dataset.auto = '1';
    }
  }
  code.addEventListener('change', function () { update(code); });
  step.addEventListener('input', function () { update(step); });
  name.addEventListener('input', function () { name.dataset.auto = ''; });
  coef.addEventListener('input', function () { coef.dataset.auto = ''; });
})();
