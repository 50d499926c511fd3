// An organizer's and a citizen's journey through Signons in real headless Chromium (Debian's
// package, driven by playwright-core), run by the e2e test `browser::` against a test
// instance. It prints one line per step that worked ("… ok"); the test checks them. When it
// needs the confirmation link of an email, it prints "email? ADDRESS" and reads the link
// from stdin: the test reads its outbox with the suite's own MIME reader.
//
// It also fails on any request that leaves the instance, on any JavaScript error, and on
// any serious or critical axe-core violation of the pages it visits. Screenshots of the
// dashboard and of the petition page, at desktop and phone widths, go to $SCREENSHOTS.
import { chromium } from "playwright-core";
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";
import readline from "node:readline";

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const base = env("SIGNONS_URL");
const shots = env("SCREENSHOTS");
// The admin exists (the instance's first organizer); the organizer signs up in the journey.
const admin = { email: env("ADMIN_EMAIL"), password: env("ADMIN_PASSWORD") };
const organizer = { email: "rosa@example.net", password: "a long enough passphrase", organization: "Friends of Rue des Lilas" };
const citizen = { name: "Ada Lovelace", email: "ada@example.net", country: "France" };
const axeSource = fs.readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const desktop = { width: 1280, height: 800 };
const phone = { width: 390, height: 844 };

const problems = [];
const lines = readline.createInterface({ input: process.stdin });
const answers = lines[Symbol.asyncIterator]();
fs.mkdirSync(shots, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  // Chromium's sandbox needs user namespaces, which CI containers running as root lack.
  // The widget's embedding page is served by the browser itself (`route`), which gives it
  // no address: Chromium's local network access checks would take it for the internet
  // and refuse it a frame of the instance on the loopback.
  args: ["--no-sandbox", "--disable-features=LocalNetworkAccessChecks"],
});

async function context(viewport, locale = "en-GB") {
  const ctx = await browser.newContext({ viewport, locale, acceptDownloads: true });
  ctx.on("request", (request) => {
    const url = request.url();
    if (!url.startsWith(base) && !url.startsWith("data:") && !url.startsWith("blob:")) {
      problems.push(`a request left the instance: ${url}`);
    }
  });
  ctx.on("page", (page) => {
    page.on("pageerror", (error) => problems.push(`JavaScript error on ${page.url()}: ${error.message}`));
  });
  return ctx;
}

// Serious and critical violations of WCAG 2.1 A and AA only: minor ones are reported, not failed.
async function axe(page, what) {
  // Evaluated through the DevTools protocol, which the page's CSP (rightly) does not let a
  // script tag do: the pages keep their real CSP, so a violation of it is still seen.
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
  console.log(`axe checked ${what}`);
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
}

// A page must not scroll sideways on a phone.
async function noOverflow(page, what) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  if (overflow > 0) problems.push(`${what} is ${overflow}px wider than a ${page.viewportSize().width}px phone`);
}

function expectPath(page, pattern, what) {
  const url = new URL(page.url());
  if (!pattern.test(url.pathname)) throw new Error(`${what}: expected ${pattern}, got ${url.pathname}`);
  return url.pathname;
}

try {
  // The instance's admin opens sign-up to everyone (it is by invitation by default).
  const adm = await context(desktop);
  const ap = await adm.newPage();
  await ap.goto(`${base}/login`);
  await ap.fill("#email", admin.email);
  await ap.fill("#password", admin.password);
  await Promise.all([ap.waitForURL(/\/dashboard$/), ap.click("form[action='/login'] button[type=submit]")]);
  await ap.goto(`${base}/admin/settings`);
  await axe(ap, "the instance settings");
  await ap.check("input[name=signup][value=open]");
  await Promise.all([ap.waitForURL(/\/admin\/settings\?saved$/), ap.click("form[action='/admin/settings'] button[type=submit]")]);
  if (!(await ap.isChecked("input[name=signup][value=open]"))) throw new Error("sign-up did not stay open once saved");
  console.log("signup opened ok");

  // An organizer signs up on the web and lands on an empty dashboard that says what to do
  // first.
  const org = await context(desktop);
  const op = await org.newPage();
  await op.goto(`${base}/signup`);
  await axe(op, "the sign-up form");
  await op.fill("#email", organizer.email);
  await op.fill("#password", organizer.password);
  await op.fill("#organization", organizer.organization);
  await Promise.all([op.waitForURL(/\/dashboard$/), op.click("form[action='/signup'] button[type=submit]")]);
  const onboarding = (await op.textContent("section.onboarding")) || "";
  if (!/first petition/i.test(onboarding) || !(await op.isVisible("section.onboarding a[href='/petitions/new']"))) {
    throw new Error(`the empty dashboard does not say what to do first: ${onboarding}`);
  }
  if (!(await op.textContent("main h1")).includes(organizer.organization)) throw new Error("the dashboard does not name the new organization");
  await axe(op, "the empty dashboard");
  const orgPath = await op.getAttribute("main a[href^='/o/'][href$='/members']", "href");
  const orgSlug = orgPath.split("/")[2];
  await shot(op, "dashboard-empty-desktop");
  console.log("signup ok");

  // … creates and publishes a petition that asks for the signer's country …
  await op.click("section.onboarding a[href='/petitions/new']");
  await op.fill("#title", "Trees for Rue des Lilas");
  await op.fill("#target", "The city council");
  await op.fill("#description", "Plant **twelve trees** along the street before spring.");
  await op.fill("#goal", "12500");
  await op.check("#ask_country");
  await axe(op, "the new petition form");
  await Promise.all([op.waitForURL(/\/p\/[^/]+$/), op.click("button[value=publish]")]);
  const petitionPath = expectPath(op, /^\/p\/[a-z0-9-]+$/, "after publishing");
  await op.getByText("twelve trees").first().waitFor();
  console.log("publish ok");

  // … gives it a picture on its form (a PNG drawn by the browser: a capture of the page),
  // which the petition page then shows at several widths.
  const png = await op.screenshot({ type: "png" });
  await op.goto(`${base}${petitionPath}/edit`);
  await axe(op, "the petition form, editing");
  await op.setInputFiles("#image", { name: "trees.png", mimeType: "image/png", buffer: png });
  await op.fill("#alt", "Young trees along a street");
  await Promise.all([op.waitForURL(`${base}${petitionPath}`), op.click(`form[action='${petitionPath}/image'] button[type=submit]`)]);
  const picture = await op.waitForFunction(() => {
    const img = document.querySelector(".petition-picture img");
    return img && img.complete && img.naturalWidth > 0 && { srcset: img.getAttribute("srcset"), alt: img.alt, src: img.currentSrc };
  });
  const { srcset, alt, src } = await picture.jsonValue();
  const widths = (srcset || "").split(",").map((c) => c.trim().split(/\s+/)[1]);
  if (widths.length < 2 || !widths.every((w) => /^\d+w$/.test(w)) || alt !== "Young trees along a street" || !new URL(src).pathname.startsWith("/media/")) {
    throw new Error(`the petition's picture: srcset ${srcset}, alt ${alt}, shown from ${src}`);
  }
  console.log("picture ok");

  // … and posts news.
  await op.click(".news-form summary");
  await op.fill("#news-text", "The council will **answer** on Monday.");
  await Promise.all([op.waitForURL(`${base}${petitionPath}`), op.click(".news-form button[type=submit]")]);
  await op.waitForSelector(".news strong:text('answer')");
  await axe(op, "the petition page, as its organizer");
  console.log("news ok");

  // A citizen on a phone signs (the form's proof of work runs in the page) …
  const cit = await context(phone);
  const cp = await cit.newPage();
  await cp.goto(`${base}${petitionPath}`);
  await shot(cp, "petition-phone");
  await axe(cp, "the petition page on a phone");
  // The count and the "Sign" button are in the first screen; one tap brings the form.
  const first = await cp.locator(".sign-first a.button").boundingBox();
  if (!first || first.y + first.height > phone.height) throw new Error(`the Sign button is not in the first screen: ${JSON.stringify(first)}`);
  await cp.click(".sign-first a.button");
  await cp.waitForFunction(() => {
    const r = document.getElementById("name").getBoundingClientRect();
    return r.top >= 0 && r.bottom <= window.innerHeight;
  });
  console.log("phone layout ok");
  // A refused submission brings the form back into view, its error summary focused.
  await Promise.all([cp.waitForLoadState("load"), cp.click(`form[action='${petitionPath}/sign'] button[type=submit]`)]);
  await cp.waitForSelector("#sign-errors");
  const focus = await cp.evaluate(() => {
    const a = document.activeElement;
    const r = a.getBoundingClientRect();
    return { id: a.id, visible: r.top >= 0 && r.top < window.innerHeight, links: [...a.querySelectorAll("a")].map((l) => l.getAttribute("href")) };
  });
  if (focus.id !== "sign-errors" || !focus.visible || !focus.links.includes("#name") || !focus.links.includes("#email")) {
    throw new Error(`after an error: ${JSON.stringify(focus)}`);
  }
  await shot(cp, "sign-errors-phone");
  await axe(cp, "the sign form with errors");
  console.log("error focus ok");
  await cp.fill("#name", citizen.name);
  await cp.fill("#email", citizen.email);
  await cp.fill("#country", citizen.country);
  await cp.check("#opt_in");
  await Promise.all([
    cp.waitForURL(/\/thanks$/),
    cp.click(`form[action='${petitionPath}/sign'] button[type=submit]`),
  ]);
  await cp.waitForSelector("main h1");
  const thanks = await cp.textContent("main");
  if (!/email/i.test(thanks)) throw new Error(`after signing, no word of the email: ${thanks}`);
  await shot(cp, "thanks-phone");
  await axe(cp, "the thanks page");
  console.log("sign ok");

  // The thanks page offers to share: plain links, and the visitor's own fediverse server.
  for (const start of ["mailto:", "https://wa.me/", "https://t.me/share/", "https://www.facebook.com/sharer/", "https://x.com/intent/", "https://www.linkedin.com/sharing/"]) {
    const href = await cp.getAttribute(`.share-links a[href^='${start}']`, "href");
    if (!href || !href.includes(encodeURIComponent(`${base}${petitionPath}`))) throw new Error(`share link ${start}: ${href}`);
  }
  if (await cp.isHidden("button[data-copy]")) throw new Error("the copy button stays hidden with JavaScript on");
  await cp.fill("#share-instance", "@ada@Mastodon.Social");
  await Promise.all([cp.waitForURL(/\/share\?/), cp.click(".fediverse-share button[type=submit]")]);
  const go = await cp.getAttribute("#share-go", "href");
  if (!go.startsWith("https://mastodon.social/share?text=") || !decodeURIComponent(go).includes(`${base}${petitionPath}`)) {
    throw new Error(`the fediverse share goes to ${go}`);
  }
  await axe(cp, "the fediverse share step");
  await cp.goBack();
  console.log("share ok");

  // … opens the confirmation link from the email and confirms.
  console.log(`email? ${citizen.email}`);
  const { value: link, done } = await answers.next();
  if (done || !link.startsWith(base)) throw new Error(`no confirmation link came back: ${link}`);
  await cp.goto(link.trim());
  await axe(cp, "the confirmation page");
  await Promise.all([cp.waitForLoadState("load"), cp.click("form button[type=submit]")]);
  await cp.waitForSelector("main h1");
  await axe(cp, "the confirmed page");
  console.log("confirm ok");

  const wide = await context(desktop);
  const wp = await wide.newPage();
  await wp.goto(`${base}${petitionPath}`);
  await shot(wp, "petition-desktop");
  // A shared link previews with the title, a description and the petition's picture; the
  // drawn card (its title and count) is still there for the petitions that have none.
  const og = await wp.getAttribute("meta[property='og:image']", "content");
  const description = await wp.getAttribute("meta[name=description]", "content");
  if (!description.includes("twelve trees")) throw new Error(`meta description: ${description}`);
  const photo = await wp.request.get(og);
  if (photo.status() !== 200 || !photo.headers()["content-type"].startsWith("image/jpeg") || !new URL(og).pathname.startsWith("/media/")) {
    throw new Error(`og:image ${og}: ${photo.status()} ${photo.headers()["content-type"]}`);
  }
  const drawn = `${base}${petitionPath}/share.svg`;
  const image = await wp.request.get(drawn);
  if (image.status() !== 200 || !image.headers()["content-type"].startsWith("image/svg+xml") || !(await image.text()).includes("Trees for Rue des Lilas")) {
    throw new Error(`the share image ${drawn}: ${image.status()}`);
  }
  // Drawn in a page of its own size (a full-page capture of a bare SVG document never ends).
  const ip = await wide.newPage();
  await ip.setViewportSize({ width: 1200, height: 630 });
  await ip.setContent(`<img src="${drawn}" width="1200" height="630" alt="">`);
  await ip.waitForFunction(() => document.images[0].complete);
  await ip.screenshot({ path: path.join(shots, "share-image.png") });
  await ip.close();
  console.log("preview ok");

  // Numbers as each language writes them.
  const fr = await context(phone, "fr-FR");
  const fp = await fr.newPage();
  await fp.goto(`${base}${petitionPath}`);
  const goal = await fp.textContent(".sign .goal");
  if (!goal.includes("12\u202f500")) throw new Error(`French goal: ${JSON.stringify(goal)}`);
  const enGoal = await wp.evaluate(async (u) => (await (await fetch(u)).text()), `${base}${petitionPath}`);
  if (!enGoal.includes("of 12,500 needed")) throw new Error("English goal not grouped as 12,500");
  await shot(fp, "petition-phone-fr");
  console.log("numbers ok");

  // The organizer sees the count (pages are cached for about a second) and downloads the CSV.
  let row = "";
  for (let i = 0; i < 50; i++) {
    await op.goto(`${base}/dashboard`);
    row = (await op.textContent(`tr:has(a[href='${petitionPath}'])`)) || "";
    if (/(^|\D)1 \/ 12,500\b/.test(row)) break;
    await op.waitForTimeout(200);
  }
  if (!/(^|\D)1 \/ 12,500\b/.test(row)) throw new Error(`the dashboard does not count the signature: ${row}`);
  await shot(op, "dashboard-desktop");
  await axe(op, "the dashboard with a petition");
  console.log("count ok");
  const [download] = await Promise.all([
    op.waitForEvent("download"),
    op.click(`a[href='${petitionPath}/signatures.csv']`),
  ]);
  const csv = fs.readFileSync(await download.path(), "utf8");
  const [header, ...rows] = csv.trim().split(/\r?\n/);
  if (!/name/i.test(header) || !/country/i.test(header)) throw new Error(`CSV header: ${header}`);
  if (rows.length !== 1 || !rows[0].includes(citizen.name) || !rows[0].includes(citizen.country)) {
    throw new Error(`CSV rows: ${rows.join(" | ")}`);
  }
  console.log("csv ok");
  await op.goto(`${base}${petitionPath}/insight`);
  await op.waitForSelector("svg.chart polyline", { state: "attached" });
  await axe(op, "the insight page");
  await shot(op, "insight-desktop");
  console.log("insight ok");

  // Every other organizer page, looked at (not submitted) and checked by axe, at both widths.
  const organizerPages = [
    [`/o/${orgSlug}/members`, "the members page"],
    [`/o/${orgSlug}/edit`, "the organization's profile form"],
    [`${petitionPath}/milestones`, "the milestones form"],
    [`${petitionPath}/response`, "the response form"],
    [`${petitionPath}/close`, "the close confirmation"],
    [`${petitionPath}/win`, "the victory form"],
    [`${petitionPath}/print`, "the printable list"],
    ["/account", "the account page"],
  ];
  const orgPhone = await context(phone);
  await orgPhone.addCookies(await org.cookies());
  const pp = await orgPhone.newPage();
  for (const [where, what] of organizerPages) {
    const answer = await op.goto(`${base}${where}`);
    if (answer.status() !== 200) throw new Error(`${what} (${where}) answered ${answer.status()}`);
    await axe(op, what);
    await pp.goto(`${base}${where}`);
    await axe(pp, `${what} on a phone`);
    await noOverflow(pp, what);
  }
  console.log("organizer pages ok");

  // The admin's pages, now that there is something on them.
  for (const [where, what] of [
    ["/admin/settings", "the instance settings, saved"],
    ["/admin/moderation", "the moderation queue"],
    ["/admin/jobs", "the jobs page"],
    ["/admin/people", "the people and organizations"],
    ["/admin/federation", "the federation policy"],
    ["/admin/invalidate", "the invalidation form"],
  ]) {
    const answer = await ap.goto(`${base}${where}`);
    if (answer.status() !== 200) throw new Error(`${what} (${where}) answered ${answer.status()}`);
    await axe(ap, what);
  }
  console.log("admin pages ok");

  // The widget, framed by a page of another site (served by the browser itself: nothing
  // leaves the machine), signs in a new tab of this instance; axe checks it on its own.
  // That site is the instance's address under another name (localhost for 127.0.0.1):
  // another site to the browser, on the same loopback, which Chromium lets frame it.
  const embedder = `${new URL(base).protocol}//${new URL(base).hostname === "localhost" ? "127.0.0.1" : "localhost"}:${new URL(base).port}/a-neighbours-site`;
  const emb = await browser.newContext({ viewport: desktop, locale: "en-GB" });
  emb.on("request", (request) => {
    const url = request.url();
    if (!url.startsWith(base) && !url.startsWith(embedder) && !url.startsWith("data:")) {
      problems.push(`a request left the instance: ${url}`);
    }
  });
  emb.on("page", (page) => {
    page.on("pageerror", (error) => problems.push(`JavaScript error on ${page.url()}: ${error.message}`));
  });
  const slug = petitionPath.slice("/p/".length);
  await emb.route(`${embedder}/**`, (route) =>
    route.fulfill({
      contentType: "text/html",
      body: `<!doctype html><html lang="en"><head><title>A neighbour's site</title></head><body><h1>Our news</h1>` +
        `<iframe src="${base}/embed/p/${slug}" width="400" height="560" title="The petition"></iframe></body></html>`,
    }),
  );
  const ep = await emb.newPage();
  await ep.goto(`${embedder}/news.html`);
  if (await ep.evaluate(() => window.origin) === new URL(base).origin) throw new Error("the embedding page is not of another origin");
  const widget = ep.frameLocator("iframe");
  await widget.locator("h1").getByText("Trees for Rue des Lilas").waitFor();
  await widget.locator("#name").fill("Grace Hopper");
  await widget.locator("#email").fill("grace@example.net");
  if (await widget.locator("#country").count()) await widget.locator("#country").fill("France");
  const [tab] = await Promise.all([emb.waitForEvent("page"), widget.locator("button[type=submit]").click()]);
  await tab.waitForURL(/\/thanks$/, { timeout: 30000 });
  await shot(ep, "widget-framed");
  const wg = await wide.newPage();
  await wg.goto(`${base}/embed/p/${slug}`);
  await axe(wg, "the widget");
  console.log("widget ok");

  await pp.goto(`${base}/dashboard`);
  await shot(pp, "dashboard-phone");
  await axe(pp, "the dashboard on a phone");
  await noOverflow(pp, "the dashboard");
} catch (error) {
  problems.push(`journey failed: ${error.stack || error}`);
  // What each open page showed when it failed, for the one who reads the failure.
  let n = 0;
  for (const ctx of browser.contexts()) {
    for (const page of ctx.pages()) {
      n += 1;
      await page.screenshot({ path: path.join(shots, `failure-${n}.png`), fullPage: true }).catch(() => {});
      problems.push(`page ${n} at failure: ${page.url()} (failure-${n}.png)`);
    }
  }
} finally {
  await browser.close();
  lines.close();
}

for (const p of problems) console.log(`PROBLEM ${p}`);
if (problems.length === 0) console.log("journey ok");
process.exit(problems.length === 0 ? 0 : 1);
