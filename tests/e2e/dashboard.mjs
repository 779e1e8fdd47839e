/*
 * dashboard.mjs - the browser test of the relayguard dashboard, run by
 * tests/integ/51_dashboard_browser.sh: headless Chromium (Debian's
 * /usr/bin/chromium) driven by playwright-core.
 *
 *   node dashboard.mjs BASE_URL TOKEN EXPECTED_TOP[,OTHER...] SHOTS_DIR
 *
 * Loads the dashboard, finds a compromised customer (one of
 * EXPECTED_TOP) at the top of the customers ranked by risk, opens its
 * page, sees the plot (four series, limit lines, the incident marked),
 * releases its incident with the button, and asks the API whether the
 * release happened.  Screenshots go to SHOTS_DIR.  Any page error or
 * failed step exits 1 with a message.
 */
import { chromium } from "playwright-core";

const [base, token, expected, shots] = process.argv.slice(2);
if (!shots) {
	console.error("usage: node dashboard.mjs BASE_URL TOKEN EXPECTED_TOP SHOTS_DIR");
	process.exit(2);
}
const wanted = expected.split(",");
const step = (msg) => console.log("dashboard: " + msg);
const errors = [];

const browser = await chromium.launch({
	executablePath: "/usr/bin/chromium",
	args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
	    "--no-first-run", "--disable-background-networking",
	    "--disable-component-update", "--disable-sync"],
});
let code = 0;
try {
	const page = await browser.newPage({ viewport: { width: 1360, height: 1000 } });
	page.on("pageerror", (e) => errors.push("page error: " + e.message));
	page.on("console", (m) => { if (m.type() === "error") errors.push("console: " + m.text()); });
	page.setDefaultTimeout(15000);

	await page.goto(base + "/");
	await page.waitForSelector("#status[data-ok='1']");
	await page.waitForSelector("#customers tbody tr");
	const top = (await page.textContent("#customers tbody tr:first-child a.customer-link")).trim();
	if (!wanted.includes(top))
		throw new Error("the top customer is " + top + ", not one of " + wanted.join(","));
	const badge = (await page.textContent("#customers tbody tr:first-child .badge")).trim();
	if (badge !== "incident")
		throw new Error("the top customer's state is " + badge);
	await page.waitForSelector("#open-incidents tr[data-id] button.release");
	const spark = await page.locator("#customers tbody tr:first-child svg.spark path").count();
	if (spark !== 1)
		throw new Error("no sparkline for the top customer");
	step("top customer " + top + " (incident), sparkline drawn");
	await page.screenshot({ path: shots + "/dashboard.png" });

	await page.fill("#token", token);
	await page.click("#customers tbody tr:first-child a.customer-link");
	await page.waitForSelector("svg#plot path.series");
	const series = await page.locator("svg#plot path.series").count();
	const limits = await page.locator("svg#plot line.limit").count();
	const marks = await page.locator("svg#plot line.mark").count();
	const d = await page.getAttribute("svg#plot path.series[data-name='messages']", "d");
	if (series !== 4 || limits < 1 || marks < 1 || !/L/.test(d || ""))
		throw new Error("plot: " + series + " series, " + limits + " limits, " + marks + " marks");
	const shown = (await page.textContent("#customer-id")).trim();
	if (shown !== top)
		throw new Error("customer page shows " + shown);
	step("customer page: plot with " + series + " series, " + limits + " limit lines, " + marks + " incident marks");
	await page.screenshot({ path: shots + "/dashboard-customer.png" });

	const button = page.locator("#customer button.release").first();
	const id = await button.getAttribute("data-id");
	await button.click();
	await page.waitForSelector("#flash[data-kind='ok']");
	const flash = await page.textContent("#flash");
	if (!flash.includes("incident " + id + " released"))
		throw new Error("flash after release: " + flash);
	const r = await fetch(base + "/api/v1/incidents/" + id);
	const inc = await r.json();
	if (r.status !== 200 || inc.state !== "released")
		throw new Error("API after the release: HTTP " + r.status + " " + JSON.stringify(inc).slice(0, 200));
	step("released incident " + id + " from the page; the API says " + inc.state);
	await page.waitForSelector("#customer .badge.released");
	await page.screenshot({ path: shots + "/dashboard-released.png" });
	if (errors.length)
		throw new Error(errors.join("; "));
	step("ok");
} catch (e) {
	console.error("dashboard: FAIL: " + e.message);
	if (errors.length) console.error(errors.join("\n"));
	code = 1;
} finally {
	await browser.close();
}
process.exit(code);
