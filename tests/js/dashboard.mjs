// Opens the emulator's dashboard in headless Chromium (playwright-core, the system's browser)
// and reports what a person would see; driven by tests/test_dashboard.py.
//
//   node dashboard.mjs URL SCREENSHOT.png STEP...
//
// Steps run in order; each prints one JSON line when done, and the test acts between lines:
//   wait=TEXT      wait (up to 10 s) until TEXT is in the page's visible text
//   click=SELECTOR click an element
//   sleep=MS       let the page run for MS milliseconds
// A line: {"step", "ms" (how long the step took), "text" (visible text), "html" (the live DOM),
// "scripts" (number of <script> elements), "dialogs" (alert/confirm texts seen so far),
// "errors" (page errors and console errors so far)}. After the first step it also saves a
// full-page screenshot and adds "screenshot": {"width", "height", "colours" (how many distinct
// colours), "dominant" (the share of pixels of the commonest colour)}, counted in a blank page
// of the same browser. CHROMIUM names the browser (default /usr/bin/chromium).
import { chromium } from "playwright-core";

const [url, screenshot, ...steps] = process.argv.slice(2);
if (!url || !screenshot) {
  console.error("usage: node dashboard.mjs URL SCREENSHOT.png STEP...");
  process.exit(2);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  timeout: 30000,
  // playwright-core adds --no-sandbox and a fresh profile directory itself.
  args: ["--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  const dialogs = [];
  const errors = [];
  page.on("dialog", async (dialog) => { dialogs.push(dialog.message()); await dialog.dismiss(); });
  page.on("pageerror", (error) => errors.push(String(error)));
  page.on("console", (message) => { if (message.type() === "error") errors.push(message.text()); });
  await page.goto(url);

  let first = true;
  for (const step of steps) {
    const started = Date.now();
    const [kind, ...rest] = step.split("=");
    const argument = rest.join("=");
    if (kind === "wait") {
      await page.waitForFunction((text) => document.body.innerText.includes(text), argument,
        { timeout: 10000, polling: 100 });
    } else if (kind === "click") {
      await page.click(argument);
    } else if (kind === "sleep") {
      await page.waitForTimeout(Number(argument));
    } else {
      throw new Error(`unknown step ${step}`);
    }
    const ms = Date.now() - started;
    let shot;
    if (first) {
      shot = await pixels(await page.screenshot({ path: screenshot, fullPage: true }));
      first = false;
    }
    const text = await page.evaluate(() => document.body.innerText);
    const html = await page.content();
    const scripts = await page.evaluate(() => document.querySelectorAll("script").length);
    console.log(JSON.stringify({ step, ms, text, html, scripts, dialogs, errors, screenshot: shot }));
  }
} finally {
  await browser.close();
}

// How colourful a PNG is: decoded by the browser into a canvas, in a page of its own.
async function pixels(png) {
  const blank = await browser.newPage();
  try {
    return await blank.evaluate(async (source) => {
      const image = new Image();
      image.src = source;
      await image.decode();
      const canvas = document.createElement("canvas");
      canvas.width = image.width;
      canvas.height = image.height;
      const context = canvas.getContext("2d");
      context.drawImage(image, 0, 0);
      const data = context.getImageData(0, 0, image.width, image.height).data;
      const counts = new Map();
      for (let i = 0; i < data.length; i += 4) {
        const colour = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
        counts.set(colour, (counts.get(colour) || 0) + 1);
      }
      let most = 0;
      for (const count of counts.values()) most = Math.max(most, count);
      return { width: image.width, height: image.height, colours: counts.size,
        dominant: most / (data.length / 4) };
    }, "data:image/png;base64," + png.toString("base64"));
  } finally {
    await blank.close();
  }
}
