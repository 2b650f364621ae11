// Drives headless Chromium for the web SDK harness (tests/web_sdk/): one JSON request a line on
// stdin, one JSON answer a line on stdout. puppeteer-core is loaded from the scratch folder the
// test installed it in (IVS_WEB_SDK_DIR); Chromium is the system's, nothing is downloaded.
//
//   {"id", "op": "launch", "chromium", "args"}      start the browser
//   {"id", "op": "open", "page", "url"}             a new page, loaded, window.harness ready
//   {"id", "op": "call", "page", "fn", "args"}      await window.harness[fn](...args) in a page
//   {"id", "op": "requests"}                        what the pages requested, what failed, what was answered >= 400
//   {"id", "op": "closePage", "page"} / {"id", "op": "close"}
import { createRequire } from "node:module";
import { join } from "node:path";
import { createInterface } from "node:readline";

const require = createRequire(join(process.env.IVS_WEB_SDK_DIR, "package.json"));
const puppeteer = require("puppeteer-core");

let browser = null;
const pages = new Map();
const requests = [];
const failures = [];
const errors = [];

const log = (...parts) => process.stderr.write(parts.join(" ") + "\n");

const operations = {
  async launch({ chromium, args }) {
    browser = await puppeteer.launch({
      executablePath: chromium, headless: true, pipe: true, args, protocolTimeout: 60000,
    });
    return (await browser.version());
  },
  async open({ page: name, url }) {
    const page = await browser.newPage();
    page.on("console", (m) => log(`[${name} console.${m.type()}]`, m.text()));
    page.on("pageerror", (e) => log(`[${name} pageerror]`, e.message));
    page.on("request", (r) => requests.push({
      page: name, method: r.method(), url: r.url(), headers: Object.keys(r.headers()),
    }));
    page.on("response", (r) => {
      if (r.status() >= 400) errors.push({ page: name, method: r.request().method(), url: r.url(), status: r.status() });
    });
    page.on("requestfailed", (r) => {
      failures.push({ page: name, method: r.method(), url: r.url(), error: r.failure()?.errorText });
      log(`[${name} requestfailed]`, r.method(), r.url(), r.failure()?.errorText);
    });
    await page.goto(url, { waitUntil: "load" });
    await page.waitForFunction(() => window.harness !== undefined, { timeout: 10000 });
    pages.set(name, page);
    return true;
  },
  async call({ page, fn, args }) {
    return pages.get(page).evaluate(
      (name, values) => window.harness[name](...values), fn, args ?? []);
  },
  async requests() {
    return { requests, failures, errors };
  },
  async closePage({ page }) {
    await pages.get(page)?.close();
    pages.delete(page);
    return true;
  },
  async close() {
    if (browser) await browser.close();
    browser = null;
    return true;
  },
};

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (!line.trim()) continue;
  const request = JSON.parse(line);
  let answer;
  try {
    answer = { id: request.id, ok: true, value: await operations[request.op](request) };
  } catch (error) {
    answer = { id: request.id, ok: false, error: String(error && error.stack || error) };
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
  if (request.op === "close") break;
}
if (browser) await browser.close();
