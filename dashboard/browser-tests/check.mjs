// Drives Debian's Chromium (headless, through playwright-core) against the dashboard of a running
// stack and checks what a person would see: every page loads without a console error; the
// numbers and chart points shown equal the JSON API's; the failing data unit reads "violating"
// with its penalty and transaction; a reporter's error detail holding markup renders as text;
// the badge is valid SVG; the CSV equals the JSON export; the page updates itself without a
// reload; the layout fits a phone and the keyboard reaches the search. Writes a screenshot of
// every page. Started by devstack/tests/it/dashboard.rs, which sets up the stack:
//
//   node check.mjs <api-url> <dashboard-path> <artifacts-dir> <spec-json>
//   spec: {"failing": {"data_unit", "provider"}, "compliant": {"data_unit", "provider"}, "error_detail"}
//
// Prints one JSON line of what it checked; exits 1 naming every failed check.
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";

const [api, base, artifacts, specJson] = process.argv.slice(2);
const spec = JSON.parse(specJson);
const dash = api + base;
mkdirSync(artifacts, { recursive: true });

const failures = [];
const checked = [];
function check(ok, what) {
  (ok ? checked : failures).push(what);
}
async function json(path) {
  const r = await fetch(api + path);
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
  return r.json();
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_BIN || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
const page = await context.newPage();
const consoleErrors = [];
page.on("console", (m) => { if (m.type() === "error") consoleErrors.push(`${page.url()}: ${m.text()}`); });
page.on("pageerror", (e) => consoleErrors.push(`${page.url()}: ${e.message}`));
let dialogs = 0;
page.on("dialog", async (d) => { dialogs += 1; await d.dismiss(); });

async function visit(name, path) {
  const response = await page.goto(dash + path, { waitUntil: "load" });
  check(response && response.status() === 200, `${name}: HTTP 200 (got ${response && response.status()})`);
  await page.screenshot({ path: `${artifacts}/${name}.png`, fullPage: true });
}

// 1. Overview: every provider's line equals /v1/overview.
await visit("overview", "");
const overview = await json("/v1/overview");
for (const p of overview.providers) {
  const row = page.locator(`tr[data-provider="${p.address}"]`);
  check(await row.count() === 1, `overview lists provider ${p.address}`);
  const rep = await row.locator('[data-field="reputation"]').innerText();
  check(rep.trim() === String(p.reputation), `overview reputation of ${p.address}: ${rep} = ${p.reputation}`);
  const units = await row.locator('[data-field="active_data_units"]').innerText();
  check(units.trim() === String(p.active_data_units), `overview active data units of ${p.address}`);
  const wei = await row.locator('[data-field="penalties_paid_wei"]').getAttribute("data-wei");
  check(wei === p.penalties_paid_wei, `overview penalties of ${p.address}: ${wei} = ${p.penalties_paid_wei}`);
  const compliance = await row.locator('[data-field="compliance"]').innerText();
  if (p.compliance.results > 0) {
    check(compliance.includes(`(${p.compliance.compliant} of ${p.compliance.results})`),
      `overview compliance of ${p.address}: "${compliance}"`);
  }
}
const epoch = await page.locator('[data-field="current_epoch"]').innerText();
check(/^\d+$/.test(epoch.trim()), "overview shows the current epoch");

// 2. The failing data unit: violating, with the penalty and its transaction, charts = JSON.
const unit = spec.failing.data_unit;
// The stack keeps running: a roll-up may land between the page and the JSON. The JSON read
// before and after the page is the same (charts and epochs) only if the page shows that state too;
// otherwise look again (a few epochs at most).
let view;
for (let attempt = 1; ; attempt++) {
  const before = await json(`/v1/data-units/${unit}`);
  await visit("data-unit-failing", `/data-units/${unit}`);
  view = await json(`/v1/data-units/${unit}`);
  const same = JSON.stringify([before.charts, before.epochs]) === JSON.stringify([view.charts, view.epochs]);
  if (same || attempt === 5) {
    check(same, `the data unit's JSON held still around one page load (${attempt} attempts)`);
    break;
  }
}
const h1 = await page.locator("h1").innerText();
check(h1.includes("violating") && view.status === "violating", `failing data unit reads violating: "${h1}" (API ${view.status})`);
const paid = view.epochs.filter((e) => e.on_chain && e.on_chain.penalty_wei);
check(paid.length > 0, "the API lists a penalty applied on chain");
for (const e of paid) {
  const cell = page.locator(`tr[data-epoch="${e.epoch}"] [data-field="penalty"]`);
  const text = await cell.innerText();
  const title = await cell.locator("code.hash").getAttribute("title");
  check(text.includes("ETH") && title === e.on_chain.penalty.tx_hash,
    `epoch ${e.epoch}: penalty shown with its transaction ${e.on_chain.penalty.tx_hash}`);
  const verdict = await page.locator(`tr[data-epoch="${e.epoch}"] [data-field="verdict"]`).innerText();
  check(verdict.includes("violated") && verdict.includes("penalty"), `epoch ${e.epoch}: verdict explained in words`);
}
let points = 0;
for (const chart of view.charts) {
  const shown = await page.locator(`figure[data-chart="${chart.id}"] circle`).evaluateAll((cs) =>
    cs.map((c) => `${c.dataset.series}:${c.dataset.epoch}:${c.dataset.value}`).sort());
  const expected = chart.series.flatMap((s) => s.points.map(([e, v]) => `${s.name}:${e}:${v}`)).sort();
  check(JSON.stringify(shown) === JSON.stringify(expected), `chart ${chart.id}: ${shown.length} points = API's ${expected.length}`);
  points += shown.length;
  if (chart.threshold !== null) {
    const t = await page.locator(`figure[data-chart="${chart.id}"] line.threshold`).getAttribute("data-threshold");
    check(t === String(chart.threshold), `chart ${chart.id}: threshold ${t} = ${chart.threshold}`);
  }
}
check(points > 0, `the charts show points (${points})`);
const terms = await page.locator("#terms-words li").allInnerTexts();
check(JSON.stringify(terms) === JSON.stringify(view.terms_words), "terms in words = API's");
check((await page.locator("#audit-command").innerText()).startsWith(`sla audit --data-unit ${unit}`), "the audit command is shown");
// Gauges (rules version 2): the same gauges as the API, said in their units. Only names are
// compared: the open epoch's values move with every report.
const gaugeRows = await page.locator("#gauges-table tbody tr").evaluateAll((rows) =>
  rows.map((r) => [r.dataset.role, r.dataset.gauge, r.querySelector('[data-field="last"]').innerText]));
const gaugeNames = (rows) => JSON.stringify(rows.map((r) => r.slice(0, 2)).sort());
check(gaugeRows.length > 0 && gaugeNames(gaugeRows) === gaugeNames(view.gauges.rows.map((r) => [r.role, r.gauge.name])),
  `gauges: ${gaugeRows.length} rows = API's`);
const temp = gaugeRows.find((r) => r[1] === "gpu0.temp_millicelsius");
check(!!temp && / °C$/.test(temp[2]), `a temperature is shown in °C: ${temp && temp[2]}`);
const slots = await page.locator("#slot-timeline li").count();
check(view.timeline && slots === view.timeline.slots.length, `slot timeline: ${slots} cells`);

// 3. Markup in a reporter's error detail is text.
const details = await page.locator(".error-details q").allInnerTexts();
check(details.includes(spec.error_detail), `error detail shown as text: ${JSON.stringify(details.slice(0, 2))}`);
check(await page.locator("main script").count() === 0, "no script element inside the page's content");
const report = view.reports.find((r) => r.failed > 0);
check(!!report, "a report with failed records is listed");
if (report) {
  await visit("report", `/reports/${report.hash}`);
  const texts = await page.locator("#records-table .error-details q").allInnerTexts();
  check(texts.includes(spec.error_detail), "report page: error detail as text");
}

// 4. The other pages load.
await visit("data-unit-compliant", `/data-units/${spec.compliant.data_unit}`);
await visit("provider-failing", `/providers/${spec.failing.provider}`);
const pview = await json(`/v1/providers/${spec.failing.provider}`);
const repPoints = await page.locator('figure[data-chart="reputation"] circle').evaluateAll((cs) => cs.map((c) => Number(c.dataset.value)));
const repExpected = pview.reputation_history.filter((p) => p.epoch !== null).map((p) => p.reputation);
check(JSON.stringify(repPoints) === JSON.stringify(repExpected), `reputation chart = API (${repPoints.length} points)`);
check((await page.locator(`tr[data-data-unit="${unit}"] [data-field="status"]`).innerText()).includes("violating"), "provider page: data unit violating");
await visit("status-failing", `/status/${spec.failing.provider}`);
const badgeLoaded = await page.locator("img").evaluate((img) => img.complete && img.naturalWidth > 0);
check(badgeLoaded, "status page: the badge renders");

// 5. The badge is valid SVG.
const badge = await (await fetch(`${dash}/badge/providers/${spec.failing.provider}.svg`)).text();
const parsed = await page.evaluate((s) => {
  const d = new DOMParser().parseFromString(s, "image/svg+xml");
  return { root: d.documentElement.nodeName, error: d.getElementsByTagName("parsererror").length, title: d.querySelector("title")?.textContent };
}, badge);
check(parsed.root === "svg" && parsed.error === 0 && /compliant|no data/.test(parsed.title || ""), `badge is SVG: ${JSON.stringify(parsed)}`);

// 6. The CSV equals the JSON export.
const exported = await json(`/v1/data-units/${unit}/results`);
const csv = (await (await fetch(`${api}/v1/data-units/${unit}/results?format=csv`)).text()).trim().split("\r\n");
const header = csv[0].split(",");
const rows = csv.slice(1).map((line) => Object.fromEntries(line.split(",").map((v, i) => [header[i], v])));
check(rows.length === exported.results.length && rows.length > 0, `CSV rows ${rows.length} = JSON ${exported.results.length}`);
check(rows.every((r, i) => header.every((h) => String(exported.results[i][h]) === r[h])), "every CSV field = JSON");

// 7. Live: the data unit page swaps in new content without a reload.
await page.goto(dash + `/data-units/${unit}`);
await page.evaluate(() => { window.__updated = 0; document.addEventListener("sla:updated", () => { window.__updated += 1; }); window.__marker = 1; });
const before = await page.locator("#updated time").getAttribute("datetime");
await page.waitForFunction(() => window.__updated > 0, null, { timeout: 30000 }).then(
  () => check(true, "live update swapped in new content"),
  () => check(false, "live update within 30 s"));
const stillSamePage = await page.evaluate(() => window.__marker === 1);
check(stillSamePage, "live update without a reload");
const after = await page.locator("#updated time").getAttribute("datetime");
check(after !== before, `"last updated" moved (${before} -> ${after})`);

// 8. Phone width and keyboard.
await page.setViewportSize({ width: 390, height: 844 });
await page.goto(dash + `/data-units/${unit}`);
const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
check(overflow <= 1, `no sideways scrolling at 390 px (overflow ${overflow} px)`);
await page.screenshot({ path: `${artifacts}/data-unit-phone.png`, fullPage: false });
await page.keyboard.press("Tab");
check(await page.evaluate(() => document.activeElement?.className) === "skip", "Tab reaches the skip link first");
await page.keyboard.press("Tab");
await page.keyboard.press("Tab");
check(await page.evaluate(() => document.activeElement?.id) === "q", "Tab reaches the search");

check(dialogs === 0, `no dialog opened (${dialogs})`);
check(consoleErrors.length === 0, `no console error: ${JSON.stringify(consoleErrors)}`);
await browser.close();
console.log(JSON.stringify({ checked: checked.length, failures }));
process.exit(failures.length === 0 ? 0 : 1);
