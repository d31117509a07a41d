// The bibliography's entries carry ARIA's "doc-biblioentry" role, deprecated in DPUB-ARIA 1.1: give
// them the "listitem" role their list (role="list") requires instead.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll('[role="doc-biblioentry"]').forEach((el) => el.setAttribute("role", "listitem"));
});
