// Copies the vendored front-end files out of node_modules into static/vendor/ (run by
// `npm run build`, after Sass). The results are committed, so running QAF needs no Node.
//
//   static/vendor/govuk-frontend-<version>/govuk-frontend.min.js (+ .map), assets/images,
//                                          assets/manifest.json (not the GDS Transport fonts)
//   static/vendor/htmx-<version>/htmx.min.js
//   static/vendor/VERSIONS.txt
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const nodeModules = join(root, "node_modules");
const vendor = join(root, "static", "vendor");

const versionOf = (pkg) =>
  JSON.parse(readFileSync(join(nodeModules, pkg, "package.json"), "utf8")).version;
const govukVersion = versionOf("govuk-frontend");
const htmxVersion = versionOf("htmx.org");

// The versioned paths are written out in two source files; refuse to build a mismatch.
const references = [
  ["templates/base.html", `vendor/govuk-frontend-${govukVersion}/`],
  ["templates/base.html", `vendor/htmx-${htmxVersion}/`],
  ["static/scss/qaf.scss", `vendor/govuk-frontend-${govukVersion}/`],
];
for (const [file, expected] of references) {
  if (!readFileSync(join(root, file), "utf8").includes(expected)) {
    console.error(`${file} does not refer to ${expected}: update it to the installed version`);
    process.exit(1);
  }
}

// Remove copies of older versions.
mkdirSync(vendor, { recursive: true });
for (const name of readdirSync(vendor)) {
  if (/^(govuk-frontend|htmx)-/.test(name)) rmSync(join(vendor, name), { recursive: true });
}

const govukSrc = join(nodeModules, "govuk-frontend", "dist", "govuk");
const govukDest = join(vendor, `govuk-frontend-${govukVersion}`);
mkdirSync(join(govukDest, "assets"), { recursive: true });
// The source map is copied too: Django's manifest storage follows sourceMappingURL comments.
for (const file of ["govuk-frontend.min.js", "govuk-frontend.min.js.map"]) {
  cpSync(join(govukSrc, file), join(govukDest, file));
}
cpSync(join(govukSrc, "assets", "images"), join(govukDest, "assets", "images"), { recursive: true });
cpSync(join(govukSrc, "assets", "manifest.json"), join(govukDest, "assets", "manifest.json"));

const htmxDest = join(vendor, `htmx-${htmxVersion}`);
mkdirSync(htmxDest, { recursive: true });
cpSync(join(nodeModules, "htmx.org", "dist", "htmx.min.js"), join(htmxDest, "htmx.min.js"));

writeFileSync(
  join(vendor, "VERSIONS.txt"),
  [
    "# Vendored by `npm run build` (static/build.mjs) from the npm packages below. Do not edit.",
    `govuk-frontend ${govukVersion}`,
    `htmx.org ${htmxVersion}`,
    "",
  ].join("\n"),
);
console.log(`static/vendor: govuk-frontend ${govukVersion}, htmx.org ${htmxVersion}`);
