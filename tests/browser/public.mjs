// Every public page of a test instance in real headless Chromium, run by the e2e test
// `browser::every_public_page_*`, which makes the petitions, signatures and links the pages
// need and passes their paths in $PAGES (a JSON list of [path, expected HTTP status]).
//
// Each page is opened at desktop and phone widths, in English and in French, and fails the
// run on: a request to another origin than the instance (fonts, scripts, images, anything),
// a JavaScript error or console error, a serious or critical axe-core violation (WCAG 2.1
// A and AA), a page wider than the phone, a page not in the visitor's language, or an
// unexpected status. Pages that are not HTML (feeds, robots.txt, the sitemap, images,
// JSON) are checked for their status and for what they make the browser fetch, not by axe.
// It prints "checked N" at the end, N the number of (page, width, language) checked.
import { chromium } from "playwright-core";
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const base = env("SIGNONS_URL");
const shots = env("SCREENSHOTS");
const pages = JSON.parse(env("PAGES"));
const axeSource = fs.readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const variants = [
  { name: "desktop-en", viewport: { width: 1280, height: 800 }, locale: "en-GB", lang: "en" },
  { name: "phone-en", viewport: { width: 390, height: 844 }, locale: "en-GB", lang: "en" },
  { name: "desktop-fr", viewport: { width: 1280, height: 800 }, locale: "fr-FR", lang: "fr" },
  { name: "phone-fr", viewport: { width: 390, height: 844 }, locale: "fr-FR", lang: "fr" },
];

const problems = [];
fs.mkdirSync(shots, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  // Chromium's sandbox needs user namespaces, which CI containers running as root lack.
  args: ["--no-sandbox"],
});

// A name for a path, fit for a file: "/p/trees/report" → "p-trees-report".
const fileName = (p) => p.replace(/^\//, "").replace(/[^a-zA-Z0-9]+/g, "-").slice(0, 60) || "home";

async function axe(page, what) {
  // Through the DevTools protocol: the page keeps its real CSP.
  await page.evaluate(axeSource);
  const result = await page.evaluate(() =>
    window.axe.run(document, { runOnly: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] }),
  );
  for (const v of result.violations) {
    const where = v.nodes.map((n) => n.target.join(" ")).slice(0, 5).join(", ");
    const line = `axe ${v.impact} on ${what}: ${v.id} (${v.help}) at ${where}`;
    if (v.impact === "serious" || v.impact === "critical") problems.push(line);
    else console.log(line);
  }
}

async function check(variant) {
  const ctx = await browser.newContext({ viewport: variant.viewport, locale: variant.locale });
  let current = "";
  ctx.on("request", (request) => {
    const url = request.url();
    if (!url.startsWith(`${base}/`) && url !== base && !url.startsWith("data:") && !url.startsWith("blob:")) {
      problems.push(`a request left the instance from ${current} (${variant.name}): ${url}`);
    }
  });
  const page = await ctx.newPage();
  page.on("pageerror", (error) => problems.push(`JavaScript error on ${current} (${variant.name}): ${error.message}`));
  // Console errors of the page being checked: counted only for HTML pages, since Chromium's
  // own viewer of XML documents (the sitemap) styles itself inline, which the instance's
  // CSP rightly refuses.
  let consoleErrors = [];
  page.on("console", (message) => {
    // An error page logs the status it was answered with: that one is expected.
    if (message.type() === "error" && !/status of \d{3}/.test(message.text())) {
      consoleErrors.push(`console error on ${current} (${variant.name}): ${message.text()}`);
    }
  });
  let checked = 0;
  for (const [where, status] of pages) {
    current = where;
    consoleErrors = [];
    const what = `${where} (${variant.name})`;
    const answer = await page.goto(`${base}${where}`);
    if (answer.status() !== status) {
      problems.push(`${what} answered ${answer.status()}, not ${status}`);
      continue;
    }
    const type = answer.headers()["content-type"] || "";
    if (type.startsWith("text/html")) {
      await page.waitForLoadState("load");
      problems.push(...consoleErrors);
      await axe(page, what);
      const lang = await page.evaluate(() => document.documentElement.lang);
      if (!lang.startsWith(variant.lang)) problems.push(`${what} is in ${JSON.stringify(lang)}, not ${variant.lang}`);
      const overflow = await page.evaluate(() => {
        const by = document.documentElement.scrollWidth - window.innerWidth;
        // The deepest elements that stick out, for the one who reads the failure.
        const out = [...document.querySelectorAll("body *")]
          .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5)
          .filter((e) => ![...e.children].some((c) => c.getBoundingClientRect().right > window.innerWidth + 0.5))
          .slice(0, 4)
          .map((e) => `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ""}${e.className ? `.${String(e.className).split(" ").join(".")}` : ""}`);
        return { by, out };
      });
      if (overflow.by > 0) problems.push(`${what} scrolls sideways: ${overflow.by}px wider than the window (${overflow.out.join(", ")})`);
      if (variant.name.startsWith("phone")) {
        await page.screenshot({ path: path.join(shots, `public-${variant.name}-${fileName(where)}.png`), fullPage: true });
      }
    }
    checked += 1;
  }
  await ctx.close();
  return checked;
}

let checked = 0;
try {
  // Two at a time: the machine running the suite has few cores, and axe is most of the time.
  for (let i = 0; i < variants.length; i += 2) {
    const done = await Promise.all(variants.slice(i, i + 2).map(check));
    checked += done.reduce((a, b) => a + b, 0);
  }
} catch (error) {
  problems.push(`the run failed: ${error.stack || error}`);
} finally {
  await browser.close();
}

for (const p of problems) console.log(`PROBLEM ${p}`);
console.log(`checked ${checked}`);
process.exit(problems.length === 0 ? 0 : 1);
