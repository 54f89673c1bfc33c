/* "← Quay lại" on an error page: back in the history (the form keeps what was typed); without JavaScript
   the link goes to the page the request came from. */
document.querySelectorAll('a[data-history-back]').forEach(function (link) {
  link.addEventListener('click', function (event) {
    if (window.history.length > 1) { event.preventDefault(); window.history.back(); }
  });
});
