/* Console behaviour that used to sit in inline attributes, which the console's
   Content-Security-Policy (script-src 'self') no longer runs: a form with
   data-confirm asks before it is sent. */
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form && form.getAttribute && form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) event.preventDefault();
});
