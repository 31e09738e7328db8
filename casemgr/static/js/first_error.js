// After a refused submission, take the user to the first field with a message: on a phone the
// page comes back at its top and the message can be a screen or more below, so that nothing
// seems to have happened. Focus also makes a screen reader read the field and its message.
// (A file, not an inline script: the content security policy allows only the app's own files.)
document.addEventListener("DOMContentLoaded", () => {
  const invalid = document.querySelector("main .is-invalid, main [aria-invalid='true']");
  if (invalid === null) {
    return;
  }
  invalid.focus({ preventScroll: true });
  invalid.scrollIntoView({ block: "center" });
});
