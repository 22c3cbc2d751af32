// assistdesk: the only script besides htmx. Copies a field's text to the
// clipboard for "Copy link for ticket" buttons (data-copy="#field-id").
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-copy]");
  if (!button) return;
  var field = document.querySelector(button.getAttribute("data-copy"));
  if (!field) return;
  field.select();
  var done = function () {
    button.textContent = "Copied";
    setTimeout(function () { button.textContent = "Copy link for ticket"; }, 2000);
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(field.value).then(done, function () { document.execCommand("copy"); done(); });
  } else {
    document.execCommand("copy");
    done();
  }
});
