// QAF page behaviour: start GOV.UK Frontend's components, and start them again inside content
// that htmx swaps in. Loaded as a module by templates/base.html, which names the GOV.UK
// Frontend bundle in this script's data-govuk-frontend attribute (its URL carries the version).
const script = document.querySelector("script[data-govuk-frontend]");
const { initAll } = await import(script.dataset.govukFrontend);

// Components already started raise InitError when a scope is searched again: expected here.
const onError = (error) => {
  if (error?.name !== "InitError") console.error(error);
};

initAll({ onError });

// htmx:load fires on each element that htmx adds. initAll looks only at the scope's
// descendants, so search from the parent: the new element may itself be a component.
document.addEventListener("htmx:load", (event) => {
  const element = event.detail?.elt;
  if (element && element !== document.body) {
    initAll({ scope: element.parentElement ?? element, onError });
  }
});

// Filter panels are collapsible on small screens (a <details>); on a desktop they start open.
if (window.matchMedia("(min-width: 48.0625rem)").matches) {
  for (const panel of document.querySelectorAll("details[data-qaf-open-on-desktop]")) {
    panel.open = true;
  }
}

// A wide table scrolls inside its region (role="region", tabindex="0" in the page, so that a
// keyboard can scroll it: GOV.UK's pattern). A region whose table fits needs no Tab stop: it is
// taken out of the Tab order, and put back whenever the region is narrowed until it scrolls.
const regions = new ResizeObserver((entries) => {
  for (const { target } of entries) {
    if (target.scrollWidth > target.clientWidth + 1) target.setAttribute("tabindex", "0");
    else target.removeAttribute("tabindex");
  }
});
const watchRegions = (scope) => {
  for (const region of scope.querySelectorAll(".qaf-table-container[role=region]")) {
    regions.observe(region);
  }
};
watchRegions(document);
document.addEventListener("htmx:load", (event) => watchRegions(event.detail?.elt ?? document));
