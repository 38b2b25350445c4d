// The reference career portal in headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core; no browser download), with an axe-core scan of every page (ADR 0030).
// Waits use locators, not waitForFunction: the portal's CSP (script-src 'self') forbids the
// eval that polling needs, and the test keeps the CSP on. Started by portal_browser_test (portal_browser_test.cpp), which runs the services and the
// gateway and passes:
//   PORTAL_URL      http://127.0.0.1:PORT of the gateway
//   POSTING_ID, POSTING_TITLE, KENNZIFFER   a published posting open for applications
//   SEARCH_QUERY    a word of the title that no other posting has
//   ANON_POSTING_ID, ANON_KENNZIFFER  a published anonymised posting (ADR 0033)
//   APPLICANT_SUB   the subject to sign in as
//   DAY_ID, INVITE_KENNZIFFER, DAY_ROOM, VIDEO_URL  a selection day (Tuesday 2 July 2030, three
//                   interviews from 09:00 Berlin time) of a posting the applicant was invited for
//   WRITTEN_DAY_ID  a second day of that posting (Wednesday 3 July 2030, barrier-free room): a
//                   written task 09:00–10:00, a break, interviews at 11:00 (booked by HR for
//                   HR_BOOKED_SUB) and 11:30
//   RIVAL_SUB       another applicant invited for that posting (books a slot meanwhile)
//   HR_BOOKED_SUB, HR_BOOKED_APPLICATION_ID  an applicant HR booked at 11:00 on WRITTEN_DAY_ID
//                   and on a third day that HR books alone (4 July 2030)
//   HR_TOKEN        a clerk of the posting's tenant (takes self-booking from that applicant)
//   SCREENSHOT_DIR  where the screenshots go (under the build tree)
// Exit status 0 when every step passed; the last line is "RESULT {json}" for the caller.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { randomUUID } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { Validator } from "@seriousme/openapi-schema-validator";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const BASE = env("PORTAL_URL");
const POSTING_ID = env("POSTING_ID");
const TITLE = env("POSTING_TITLE");
const KENNZIFFER = env("KENNZIFFER");
const SUB = env("APPLICANT_SUB");
const QUERY = env("SEARCH_QUERY");
const SHOTS = env("SCREENSHOT_DIR");
const ANON_POSTING_ID = env("ANON_POSTING_ID");
const ANON_KENNZIFFER = env("ANON_KENNZIFFER");
const DAY_ID = env("DAY_ID");
const INVITE_KENNZIFFER = env("INVITE_KENNZIFFER");
const DAY_ROOM = env("DAY_ROOM");
const VIDEO_URL = env("VIDEO_URL");
const WRITTEN_DAY_ID = env("WRITTEN_DAY_ID");
const RIVAL_SUB = env("RIVAL_SUB");
const HR_BOOKED_SUB = env("HR_BOOKED_SUB");
const HR_BOOKED_APPLICATION_ID = env("HR_BOOKED_APPLICATION_ID");
const HR_TOKEN = env("HR_TOKEN");
const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
mkdirSync(SHOTS, { recursive: true });

const failures = [];
const axeReports = {};
function check(ok, what) {
  if (!ok) failures.push(what);
  console.log(`${ok ? "ok  " : "FAIL"} ${what}`);
}

async function waitForGateway() {
  const until = Date.now() + 30000;
  for (;;) {
    try {
      const res = await fetch(`${BASE}/`);
      if (res.ok) return;
    } catch (e) { /* not listening yet */ }
    if (Date.now() > until) throw new Error(`the gateway at ${BASE} does not answer`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

// axe-core with the WCAG 2.1 A/AA rules; serious and critical findings fail the test.
async function axe(page, name) {
  await page.evaluate(AXE);
  const result = await page.evaluate(async () => window.axe.run(document, {
    runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] },
    resultTypes: ["violations"],
  }));
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  axeReports[name] = result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length }));
  for (const v of bad) {
    console.log(`     axe ${v.impact} ${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  }
  check(bad.length === 0, `axe: no serious or critical violation on "${name}" (${result.violations.length} minor)`);
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

// Keyboard only: Tab (at most 80 times) until the element with `id` has the focus.
async function tabTo(page, id) {
  for (let i = 0; i < 80; i++) {
    if (await page.evaluate((x) => document.activeElement && document.activeElement.id === x, id)) return true;
    await page.keyboard.press("Tab");
  }
  throw new Error(`#${id} cannot be reached with the Tab key`);
}
async function tabToText(page, selector, text) {
  for (let i = 0; i < 80; i++) {
    const hit = await page.evaluate(([s, t]) => {
      const a = document.activeElement;
      return !!a && a.matches(s) && a.textContent.trim() === t;
    }, [selector, text]);
    if (hit) return true;
    await page.keyboard.press("Tab");
  }
  throw new Error(`${selector} "${text}" cannot be reached with the Tab key`);
}

// 2000 bytes, as MinimalPdf() in applications_testing.h.
const pdf = Buffer.from(`%PDF-1.7\n${"x".repeat(1985)}\n%%EOF`);
const profile = mkdtempSync(join(tmpdir(), "stw-chromium-"));
let browser;
let page;
let result = {};
try {
  await waitForGateway();

  // 0. The gateway's OpenAPI document passes an independent validator (the OpenAPI 3.1
  //    schema, npm @seriousme/openapi-schema-validator), not only the gateway's own tests.
  const validator = new Validator();
  const openapi = await (await fetch(`${BASE}/openapi.json`)).json();
  const validation = await validator.validate(openapi);
  check(validation.valid && validator.version === "3.1",
    `/openapi.json is a valid OpenAPI ${validator.version} document (${Object.keys(openapi.paths).length} paths)` +
    (validation.valid ? "" : `: ${JSON.stringify(validation.errors).slice(0, 800)}`));
  check(!!openapi.paths["/v1/me/inbox"] && !!openapi.paths["/v1/applications/{application_id}/documents/{document_id}"],
    "the document names the inbox and the document download");
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--headless", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
      "--disable-dev-shm-usage"],  // playwright gives it a fresh --user-data-dir itself
  });
  const context = await browser.newContext({ locale: "de-DE", timezoneId: "America/New_York" });
  context.setDefaultTimeout(15000);
  page = await context.newPage();
  const pageErrors = [];
  page.on("pageerror", (e) => pageErrors.push(String(e)));
  // Errors of the page itself (CSP, script); an HTTP error status is the page's to handle.
  page.on("console", (m) => { if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) pageErrors.push(m.text()); });

  // 1. Search finds the posting (typed and submitted by keyboard).
  await page.goto(`${BASE}/`);
  await page.waitForSelector("#q");
  await axe(page, "suche");
  await page.focus("#q");
  await page.keyboard.type(QUERY);
  await page.keyboard.press("Enter");
  const hit = page.locator(".results a", { hasText: TITLE });
  await hit.first().waitFor().catch(async (e) => {
    await page.screenshot({ path: join(SHOTS, "suche-fehlgeschlagen.png"), fullPage: true });
    throw e;
  });
  check(await hit.count() === 1, `search for ${QUERY} lists "${TITLE}"`);
  check((await page.textContent("#treffer + p")).includes("1 Stelle gefunden"), "the result count is given in words");
  await axe(page, "suche-treffer");

  // 2. The posting page: title, Kennziffer, deadline in Berlin time, JSON-LD embedded.
  await hit.first().focus();
  await page.keyboard.press("Enter");
  await page.locator("h1", { hasText: TITLE }).waitFor();
  check(await page.evaluate(() => document.activeElement?.id === "seitentitel"), "the focus moves to the new page's heading");
  const facts = await page.locator("dl.facts").innerText();
  check(facts.includes("Kennziffer") && facts.includes(KENNZIFFER), "the posting page shows the Kennziffer");
  check(/Bewerbungsfrist\s+30\.06\.2030, 23:59 Uhr/.test(facts), "the deadline is shown in Berlin time (the browser is in New York)");
  await page.waitForSelector("#jobposting-jsonld", { state: "attached" });
  const ld = JSON.parse(await page.locator("#jobposting-jsonld").textContent());
  check(ld["@type"] === "JobPosting" && ld.title === TITLE, "the JobPosting JSON-LD is embedded in the page");
  await axe(page, "stelle");

  // 3. Applying needs a sign-in; the development sign-in of the local stack, by keyboard.
  await tabToText(page, "a", "Jetzt bewerben");
  await page.keyboard.press("Enter");
  await page.waitForSelector("text=Bitte melden Sie sich an");
  await tabToText(page, "a", "Zur Anmeldung");
  await page.keyboard.press("Enter");
  await page.waitForSelector("#kennung");
  await axe(page, "anmelden");
  await tabTo(page, "kennung");
  await page.keyboard.type(SUB);
  await page.keyboard.press("Enter");
  await page.waitForURL(/\/bewerben$/);
  await page.waitForSelector("#vorname");
  check(true, "after signing in the portal returns to the application form");

  // 4. The application form by keyboard only: an empty submit first shows the error summary.
  await axe(page, "bewerben");
  await tabToText(page, "button", "Bewerbung absenden");
  await page.keyboard.press("Enter");
  await page.waitForSelector(".alert[role=alert]");
  check(await page.evaluate(() => document.activeElement?.classList.contains("alert")), "the error summary takes the focus");
  check(await page.getAttribute("#vorname", "aria-invalid") === "true", "missing fields are marked aria-invalid");
  await axe(page, "bewerben-fehler");

  for (const [id, text] of [["vorname", "Erika"], ["nachname", "Mustermann"], ["email", "erika@example.de"],
    ["telefon", "02323 16-0"], ["anschrift", "Friedrich-Ebert-Platz 2, 44623 Herne"]]) {
    await tabTo(page, id);
    await page.keyboard.type(text);
  }
  await tabTo(page, "lebenslauf");
  // Space on the focused file input opens the chooser; on a loaded machine headless Chromium
  // has once missed it (a 15 s timeout in a full suite run; alone it passed), so the key is pressed again,
  // still by keyboard, before the step counts as failed.
  let chooser = null;
  for (let attempt = 0; attempt < 3 && !chooser; ++attempt) {
    const opened = page.waitForEvent("filechooser", { timeout: 5000 }).catch(() => null);
    await page.keyboard.press("Space");
    chooser = await opened;
  }
  check(chooser !== null, "the file chooser opens from the keyboard");
  if (!chooser) throw new Error("no file chooser after three presses of Space");
  await chooser.setFiles({ name: "lebenslauf.pdf", mimeType: "application/pdf", buffer: pdf });
  await tabTo(page, "anschreiben");
  await page.keyboard.type("Sehr geehrte Damen und Herren, hiermit bewerbe ich mich.");
  await tabTo(page, "schwerbehindert");
  await page.keyboard.press("Space");
  await tabTo(page, "einwilligung");
  await page.keyboard.press("Space");
  await tabToText(page, "button", "Bewerbung absenden");
  await page.keyboard.press("Enter");
  await page.locator("h1", { hasText: "Vielen Dank für Ihre Bewerbung" }).waitFor({ timeout: 20000 });
  const thanks = await page.locator(".success").innerText();
  check(thanks.includes(KENNZIFFER), "the confirmation names the Kennziffer");
  await axe(page, "bewerbung-eingegangen");
  const applicationId = await page.evaluate(() => sessionStorage.getItem("stw.lastApplication"));
  check(!!applicationId, "the gateway answered with the application's id");

  // 5. "Meine Bewerbungen" lists it with its status.
  await tabToText(page, "a", "Zu Ihren Bewerbungen");
  await page.keyboard.press("Enter");
  const appRow = page.locator("table tbody tr", { hasText: KENNZIFFER });
  await appRow.first().waitFor();
  const row = await appRow.first().innerText();
  check(row.includes(KENNZIFFER) && row.includes("Eingegangen") && row.includes("lebenslauf.pdf"),
    "Meine Bewerbungen lists the application as Eingegangen with its PDF");
  await axe(page, "meine-bewerbungen");

  // 6. The inbox: the acknowledgment travels applications → RabbitMQ → notifications, so the
  //    page is loaded again until it is there (at most 30 s); then it is marked read.
  await page.goto(`${BASE}/#/postfach`);
  const ack = page.locator(".inbox > li", { hasText: KENNZIFFER });
  const loaded = page.locator(".inbox > li, p:has-text('Ihr Postfach ist leer'), .alert");
  for (let i = 0; ; i++) {
    await loaded.first().waitFor();
    if (await ack.count() > 0) break;
    if (i >= 60) throw new Error("no acknowledgment in the inbox after 30 s");
    await new Promise((r) => setTimeout(r, 500));
    await page.reload();
  }
  check((await ack.first().innerText()).includes("ungelesen"), "the acknowledgment is in the inbox, unread");
  await axe(page, "postfach");
  await ack.first().locator("button").focus();
  await page.keyboard.press("Enter");
  await ack.first().locator("button").waitFor({ state: "detached" });
  check((await ack.first().innerText()).includes("gelesen") && !(await ack.first().innerText()).includes("ungelesen"),
    "the acknowledgment is marked read");
  await page.reload();
  await loaded.first().waitFor();
  check(!(await ack.first().innerText()).includes("ungelesen"), "the inbox remembers that it was read");

  // 7. An anonymised posting (ADR 0033): the form asks for motivation and qualification; a
  //    text naming the applicant is refused by the service, shown in German at the field.
  await page.goto(`${BASE}/#/stelle/${encodeURIComponent(ANON_POSTING_ID)}/bewerben`);
  await page.waitForSelector("#motivation");
  check(await page.locator("legend", { hasText: "anonymisierte Auswahlverfahren" }).count() === 1,
    "the form of an anonymised posting asks for the two texts");
  await axe(page, "bewerben-anonym");
  await page.fill("#vorname", "Erika");
  await page.fill("#nachname", "Mustermann");
  await page.fill("#email", "erika@example.de");
  await page.setInputFiles("#lebenslauf", { name: "lebenslauf.pdf", mimeType: "application/pdf", buffer: pdf });
  await page.fill("#anschreiben", "Sehr geehrte Damen und Herren, hiermit bewerbe ich mich. Erika Mustermann");
  await page.fill("#motivation", "Mein Name ist Erika Mustermann. Ich möchte die Bürgerdienste mitgestalten.");
  await page.fill("#qualifikation", "Verwaltungsfachangestellte mit fünf Jahren Erfahrung in der Leistungssachbearbeitung.");
  await page.check("#einwilligung");
  await page.click("button[type=submit]");
  await page.waitForSelector("#motivation[aria-invalid=true]");
  check((await page.locator("#motivation-error").innerText()).includes("weder Ihren Namen"),
    "a motivation naming the applicant is refused, in German, at the field");
  check(await page.getAttribute("#qualifikation", "aria-invalid") !== "true", "the other text is not marked");
  await axe(page, "bewerben-anonym-fehler");
  await page.fill("#motivation", "Ich möchte die Bürgerdienste bürgernah und digital mitgestalten.");
  await page.click("button[type=submit]");
  await page.locator("h1", { hasText: "Vielen Dank für Ihre Bewerbung" }).waitFor({ timeout: 20000 });
  check((await page.locator(".success").innerText()).includes(ANON_KENNZIFFER), "the anonymised application is received");
  const anonymisedApplicationId = await page.evaluate(() => sessionStorage.getItem("stw.lastApplication"));
  check(!!anonymisedApplicationId && anonymisedApplicationId !== applicationId, "a second application with its own id");

  // 8. Bookings (issue 15). The invited application is listed as such; "Meine Termine" names
  //    the invitation and opens the selection day by its Kennung, typed by keyboard.
  await page.goto(`${BASE}/#/bewerbungen`);
  const invitedRow = page.locator("table tbody tr", { hasText: INVITE_KENNZIFFER });
  await invitedRow.first().waitFor();
  check((await invitedRow.first().innerText()).includes("Zum Gespräch eingeladen"), "Meine Bewerbungen shows the invitation");
  await tabToText(page, "a", "Meine Termine");
  await page.keyboard.press("Enter");
  await page.waitForSelector("#auswahltag");
  await page.locator("text=werden geladen").waitFor({ state: "detached" });
  check((await page.locator("main").innerText()).includes(`Kennziffer ${INVITE_KENNZIFFER}`), "Meine Termine names the invitation");
  check((await page.locator("main").innerText()).includes("Sie haben keine Termine gebucht"), "no booking yet");
  // The invitations (GET /v1/me/invitations) come first: the posting's three days, each with
  // what it offers; the Kennung field stays below as the fallback.
  const invitation = page.locator(".invitations > li", { hasText: INVITE_KENNZIFFER });
  await invitation.waitFor();
  const dayItem = (id) => invitation.locator(`.days > li[data-day="${id}"]`);
  const dayTexts = await invitation.locator(".days > li").allInnerTexts();
  check(dayTexts.length === 3 && dayTexts[0].includes("Dienstag, 02.07.2030, 09:00 bis 10:30 Uhr") && dayTexts[0].includes("3 freie Termine") &&
    dayTexts[0].includes("auch per Video") && dayTexts[1].includes("Mittwoch, 03.07.2030") && dayTexts[1].includes("2 freie Termine") &&
    dayTexts[1].includes("barrierefreier Raum") && dayTexts[2].includes("vergibt die Personalstelle") &&
    await invitation.locator(".days > li").nth(2).locator("a").count() === 0,
    `the invitation lists the posting's three days in order, the HR day without a choice (${dayTexts.map((t) => t.replace(/\s+/g, " ")).join(" | ")})`);
  check(await dayItem(DAY_ID).count() === 1 && await dayItem(WRITTEN_DAY_ID).count() === 1, "the days are the ones HR planned");
  await axe(page, "termine");
  // A Kennung that names no day of the applicant's invitations is refused, in German.
  await tabTo(page, "auswahltag");
  await page.keyboard.type("kein-auswahltag");
  await page.keyboard.press("Enter");
  await page.locator(".alert[role=alert]", { hasText: "Auswahltag nicht gefunden" }).waitFor();
  check(true, "an unknown Kennung says that no such selection day was found");
  await axe(page, "termine-unbekannt");
  await tabTo(page, "auswahltag");
  await page.keyboard.press("Control+A");
  await page.keyboard.type(DAY_ID);
  await page.keyboard.press("Enter");
  await page.waitForSelector("#termin-0");
  const legend = await page.locator("legend", { hasText: "Freie Termine" }).innerText();
  check(legend.includes("Dienstag, 02.07.2030"), `the free slots are offered for the day in Berlin time (${legend})`);
  const slotLabels = await page.locator("label[for^=termin-]").allInnerTexts();
  check(slotLabels.length === 3 && slotLabels[0].includes("09:00 bis 09:30 Uhr") && slotLabels[1].includes("09:30 bis 10:00 Uhr"),
    `three free slots from 09:00 Berlin time, though the browser is in New York (${slotLabels.join(" | ")})`);
  await axe(page, "termine-auswahl");

  // The second slot, in person, by keyboard only: Tab into the group, arrow to the next one.
  await tabTo(page, "termin-0");
  await page.keyboard.press("ArrowDown");
  check(await page.isChecked("#termin-1"), "the arrow key chooses the second slot");
  await tabToText(page, "button", "Termin verbindlich buchen");
  await page.keyboard.press("Enter");
  const booked = page.locator(".success[role=status]", { hasText: "Ihr Termin ist gebucht" });
  await booked.waitFor({ timeout: 20000 });
  check(await page.evaluate(() => document.activeElement?.classList.contains("success")), "the confirmation takes the focus");
  const entry = page.locator(".bookings > li");
  await entry.first().waitFor();
  let entryText = await entry.first().innerText();
  check(entryText.includes("Dienstag, 02.07.2030, 09:30 bis 10:00 Uhr") && entryText.includes("vor Ort") &&
    entryText.includes(DAY_ROOM) && entryText.includes(INVITE_KENNZIFFER),
    "the booking is listed in Berlin time, in person, with the room and the Kennziffer");
  check((await page.locator("main").innerText()).includes("bereits einen Termin"), "a second booking of that day is not offered");
  await axe(page, "termine-gebucht");

  // The calendar entry is downloaded as an .ics file.
  const downloadEvent = page.waitForEvent("download");
  await entry.first().locator("button", { hasText: "Kalendereintrag herunterladen" }).focus();
  await page.keyboard.press("Enter");
  const download = await downloadEvent;
  const icsPath = await download.path();
  const ics = readFileSync(icsPath, "utf8");
  check(download.suggestedFilename() === "termin-2030-07-02.ics" && ics.includes("BEGIN:VCALENDAR") && ics.includes("METHOD:REQUEST") &&
    ics.includes("BEGIN:VEVENT"), `the calendar entry is downloaded (${download.suggestedFilename()})`);

  // Cancelling asks for a confirmation; afterwards the slot can be booked again.
  await entry.first().locator("button", { hasText: "Termin absagen" }).focus();
  await page.keyboard.press("Enter");
  await page.waitForSelector(".bookings textarea");
  check(await page.evaluate(() => document.activeElement?.tagName === "TEXTAREA"), "the cancel form takes the focus");
  await page.keyboard.type("Terminüberschneidung");
  await tabToText(page, "button", "Absage verbindlich senden");
  await page.keyboard.press("Enter");
  await page.locator(".success[role=status]", { hasText: "Der Termin ist abgesagt" }).waitFor({ timeout: 20000 });
  check((await page.locator("main").innerText()).includes("Sie haben keine Termine gebucht"), "the cancelled booking is gone from the list");
  await page.waitForSelector("#termin-0");
  check(await page.locator("label[for^=termin-]").count() === 3, "the cancelled slot is free again");

  // The first slot by video.
  await tabTo(page, "termin-0");
  await page.keyboard.press("Space");
  await tabTo(page, "modus-vor-ort");
  await page.keyboard.press("ArrowDown");
  check(await page.isChecked("#modus-video"), "video is chosen by keyboard");
  await tabToText(page, "button", "Termin verbindlich buchen");
  await page.keyboard.press("Enter");
  await booked.waitFor({ timeout: 20000 });
  await entry.first().waitFor();
  entryText = await entry.first().innerText();
  check(entryText.includes("Dienstag, 02.07.2030, 09:00 bis 09:30 Uhr") && entryText.includes("per Video") && entryText.includes(VIDEO_URL),
    "the video booking is listed with its link");
  const bookingId = await entry.first().getAttribute("data-id");
  await axe(page, "termine-video");

  // Moving the booking by keyboard: the other free slots of the same day are offered.
  const videoEntry = page.locator(`.bookings > li[data-id="${bookingId}"]`);
  const moveRadios = videoEntry.locator(".inline-form input[type=radio]");
  const openMove = async () => {
    await videoEntry.locator("button", { hasText: /^Termin verschieben/ }).focus();
    await page.keyboard.press("Enter");
    await moveRadios.first().waitFor();
  };
  await openMove();
  check(await page.evaluate(() => document.activeElement?.type === "radio"), "the move form takes the focus (its first free slot)");
  check(await videoEntry.locator("button", { hasText: /^Termin verschieben/ }).isHidden() &&
    await page.locator(".success", { hasText: "Ihr Termin ist gebucht" }).count() === 0,
    "while the move form is open its button is hidden and the earlier confirmation is gone");
  let moveLabels = await videoEntry.locator(".inline-form label").allInnerTexts();
  check(moveLabels.length === 2 && moveLabels[0].includes("09:30 bis 10:00 Uhr") && moveLabels[1].includes("10:00 bis 10:30 Uhr"),
    `the other free slots of the day are offered for the move (${moveLabels.join(" | ")})`);
  await axe(page, "termine-verschieben");
  await page.keyboard.press("ArrowDown");
  check(await moveRadios.nth(1).isChecked(), "the arrow key chooses 10:00");
  await tabToText(page, "button", "Auf diesen Termin verschieben");
  await page.keyboard.press("Enter");
  await page.locator(".success[role=status]", { hasText: "Ihr Termin ist verschoben" }).waitFor({ timeout: 20000 });
  check(await page.evaluate(() => document.activeElement?.classList.contains("success")), "the confirmation of the move takes the focus");
  await videoEntry.waitFor();
  entryText = await videoEntry.innerText();
  check(entryText.includes("Dienstag, 02.07.2030, 10:00 bis 10:30 Uhr") && entryText.includes("per Video") && !entryText.includes("09:00"),
    "the list shows the booking at its new time, still by video");
  const movedDownload = page.waitForEvent("download");
  await videoEntry.locator("button", { hasText: "Kalendereintrag herunterladen" }).focus();
  await page.keyboard.press("Enter");
  const movedIcs = readFileSync(await (await movedDownload).path(), "utf8");
  check(movedIcs.includes("SEQUENCE:1") && /DTSTART;TZID=Europe\/Berlin:20300702T100000/.test(movedIcs) && movedIcs.includes("METHOD:REQUEST"),
    "the downloaded calendar entry has the new time and SEQUENCE:1");
  await axe(page, "termine-verschoben");

  // Taken meanwhile: the form is open, a rival applicant books 09:30, the applicant chooses
  // it — refused in German, the focus on the message, the free slots offered anew.
  await openMove();
  moveLabels = await videoEntry.locator(".inline-form label").allInnerTexts();
  check(moveLabels.length === 2 && moveLabels[0].includes("09:00 bis 09:30 Uhr") && moveLabels[1].includes("09:30 bis 10:00 Uhr"),
    `after the move 09:00 and 09:30 are free (${moveLabels.join(" | ")})`);
  const taken = await moveRadios.nth(1).getAttribute("value");
  const rivalToken = (await (await fetch(`${BASE}/v1/dev/sign-in`, { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ sub: RIVAL_SUB, tenant_id: "portal" }) })).json()).access_token;
  const rivalAuth = { Authorization: `Bearer ${rivalToken}`, "Content-Type": "application/json" };
  const rivalApps = (await (await fetch(`${BASE}/v1/me/applications?pageSize=50`, { headers: rivalAuth })).json()).applications || [];
  const rivalBooking = await fetch(`${BASE}/v1/me/bookings`, { method: "POST", headers: rivalAuth,
    body: JSON.stringify({ requestId: randomUUID(), slotId: taken, applicationId: rivalApps[0] && rivalApps[0].id, mode: "IN_PERSON" }) });
  check(rivalBooking.ok, `the rival books 09:30 meanwhile (HTTP ${rivalBooking.status})`);
  await page.keyboard.press("ArrowDown");
  check(await moveRadios.nth(1).isChecked(), "09:30 is chosen by keyboard");
  await tabToText(page, "button", "Auf diesen Termin verschieben");
  await page.keyboard.press("Enter");
  const takenAlert = videoEntry.locator(".alert[role=alert]", { hasText: "inzwischen vergeben" });
  await takenAlert.waitFor({ timeout: 20000 });
  check(await page.evaluate(() => document.activeElement?.getAttribute("role") === "alert"), "the refusal takes the focus");
  moveLabels = await videoEntry.locator(".inline-form label").allInnerTexts();
  check(moveLabels.length === 1 && moveLabels[0].includes("09:00 bis 09:30 Uhr"), `only what is free now is offered (${moveLabels.join(" | ")})`);
  await axe(page, "termine-verschieben-vergeben");
  await tabToText(page, "button", "Nicht verschieben");
  await page.keyboard.press("Enter");
  await moveRadios.first().waitFor({ state: "detached" });
  check(await page.evaluate(() => (document.activeElement?.textContent || "").startsWith("Termin verschieben")),
    "closing the move form returns the focus to its button");
  check((await videoEntry.innerText()).includes("10:00 bis 10:30 Uhr"), "the booking stays at 10:00");

  // Nachteilsausgleich: the written task of the second day, a barrier-free room and extra
  // time; more than fits before the next slot is refused at the field.
  // The second day is chosen from the invitations, by keyboard.
  await tabToText(page, "a", "Zurück zu Ihren Einladungen");
  await page.keyboard.press("Enter");
  await dayItem(DAY_ID).waitFor();
  check((await dayItem(DAY_ID).innerText()).includes("Hier haben Sie Ihren Termin: Dienstag, 02.07.2030, 10:00 bis 10:30 Uhr"),
    "the invitation shows the day that holds the booking, with its time");
  await axe(page, "termine-einladungen-gebucht");
  await tabToText(page, "a", "Freie Termine am 03.07.2030 anzeigen");
  await page.keyboard.press("Enter");
  await page.waitForSelector("#mehrzeit");
  check(await page.evaluate(() => document.activeElement?.id === "buchen"), "choosing a day moves the focus to its free slots' section");
  const writtenLabels = await page.locator("label[for^=termin-]").allInnerTexts();
  check(writtenLabels.length === 2 && writtenLabels[0].includes("Mittwoch, 03.07.2030, 09:00 bis 10:00 Uhr") && writtenLabels[0].includes("schriftliche Aufgabe") &&
    writtenLabels[1].includes("11:30 bis 12:00 Uhr") && writtenLabels[1].includes("Auswahlgespräch"),
    `the written task and the free interview are offered, each named (${writtenLabels.join(" | ")})`);
  check((await page.locator("#mehrzeit-hint").innerText()).includes("höchstens 60 Minuten"), "the extra time is offered up to the next slot (60 minutes)");
  await axe(page, "termine-ausgleich");
  await tabTo(page, "termin-0");
  await page.keyboard.press("Space");
  await tabTo(page, "barrierefrei");
  await page.keyboard.press("Space");
  await tabTo(page, "mehrzeit");
  await page.keyboard.type("90");
  await tabToText(page, "button", "Termin verbindlich buchen");
  await page.keyboard.press("Enter");
  await page.locator(".alert[role=alert]", { hasText: "höchstens 60 Minuten" }).waitFor();
  check(await page.getAttribute("#mehrzeit", "aria-invalid") === "true" &&
    (await page.locator("#mehrzeit-error").innerText()).includes("höchstens 60 Minuten"), "90 minutes are refused at the field, in German");
  check(await page.evaluate(() => document.activeElement?.getAttribute("role") === "alert"), "the refusal takes the focus");
  await axe(page, "termine-ausgleich-fehler");
  await tabTo(page, "mehrzeit");
  await page.keyboard.press("Control+A");
  await page.keyboard.type("30");
  await tabToText(page, "button", "Termin verbindlich buchen");
  await page.keyboard.press("Enter");
  await page.locator(".success[role=status]", { hasText: "30 Minuten zusätzliche Bearbeitungszeit" }).waitFor({ timeout: 20000 });
  const writtenEntry = page.locator(".bookings > li", { hasText: "03.07.2030" });
  await writtenEntry.waitFor();
  const writtenText = await writtenEntry.innerText();
  check(writtenText.includes("Mittwoch, 03.07.2030, 09:00 bis 10:30 Uhr") && writtenText.includes("schriftliche Aufgabe") &&
    /Zusätzliche Bearbeitungszeit\s+30 Minuten/.test(writtenText) && /Barrierefreier Raum\s+ja, von Ihnen beantragt/.test(writtenText),
    "the booking shows the extra time, the barrier-free room and the end extended to 10:30");
  const writtenBookingId = await writtenEntry.getAttribute("data-id");
  await axe(page, "termine-ausgleich-gebucht");

  // The applicant HR booked: on the day HR books alone the portal offers no move. On the
  // other day HR takes self-booking from them while they are choosing a new slot: scheduling
  // refuses the move (403), shown in German; afterwards the page offers neither.
  const hrContext = await browser.newContext({ locale: "de-DE", timezoneId: "America/New_York" });
  hrContext.setDefaultTimeout(15000);
  const hrPage = await hrContext.newPage();
  hrPage.on("pageerror", (e) => pageErrors.push(String(e)));
  await hrPage.goto(`${BASE}/#/anmelden?weiter=${encodeURIComponent("#/termine")}`);
  await hrPage.fill("#kennung", HR_BOOKED_SUB);
  await hrPage.press("#kennung", "Enter");
  const hrDayEntry = hrPage.locator(".bookings > li", { hasText: "04.07.2030" });
  const hrMoveEntry = hrPage.locator(".bookings > li", { hasText: "03.07.2030" });
  await hrDayEntry.waitFor();
  await hrMoveEntry.waitFor();
  check((await hrDayEntry.innerText()).includes("Diesen Termin vergibt die Personalstelle") &&
    await hrDayEntry.locator("button", { hasText: /^Termin verschieben/ }).count() === 0 &&
    await hrDayEntry.locator("button", { hasText: "Termin absagen" }).count() === 0,
    "a booking on a day HR books alone offers neither move nor cancel, and says whom to ask");
  await hrMoveEntry.locator("button", { hasText: /^Termin verschieben/ }).focus();
  await hrPage.keyboard.press("Enter");
  await hrMoveEntry.locator(".inline-form input[type=radio]").first().waitFor();
  await hrPage.keyboard.press("Space");
  const hrStep = await fetch(`${BASE}/v1/invitations/${encodeURIComponent(HR_BOOKED_APPLICATION_ID)}`, { method: "PATCH",
    headers: { Authorization: `Bearer ${HR_TOKEN}`, "Content-Type": "application/json" },
    body: JSON.stringify({ requestId: randomUUID(), selfBooking: false }) });
  check(hrStep.ok && (await hrStep.json()).selfBooking === false, `HR takes self-booking from the applicant meanwhile (HTTP ${hrStep.status})`);
  await tabToText(hrPage, "button", "Auf diesen Termin verschieben");
  await hrPage.keyboard.press("Enter");
  await hrMoveEntry.locator(".alert[role=alert]", { hasText: "vergibt die Personalstelle" }).waitFor({ timeout: 20000 });
  check(await hrPage.evaluate(() => document.activeElement?.getAttribute("role") === "alert"),
    "the refused move is explained in German, the focus on the message");
  check((await hrMoveEntry.innerText()).includes("11:00 bis 11:30 Uhr"), "that booking stays at 11:00");
  await axe(hrPage, "termine-nur-personalstelle");
  await hrPage.reload();
  const hrInvitation = hrPage.locator(".invitations > li", { hasText: INVITE_KENNZIFFER });
  await hrInvitation.waitFor();
  check((await hrInvitation.innerText()).includes("vergibt die Personalstelle") && await hrInvitation.locator("a").count() === 0 &&
    await hrMoveEntry.locator("button", { hasText: /^Termin verschieben/ }).count() === 0,
    "once HR books for them the invitation offers no day and the booking no move");
  await axe(hrPage, "termine-einladung-personalstelle");
  await hrContext.close();

  // A gateway without the invitations route (404): the INVITED applications and the Kennung
  // field stand in.
  const oldContext = await browser.newContext({ locale: "de-DE", timezoneId: "America/New_York" });
  oldContext.setDefaultTimeout(15000);
  const oldPage = await oldContext.newPage();
  oldPage.on("pageerror", (e) => pageErrors.push(String(e)));
  await oldPage.route("**/v1/me/invitations*", (r) => r.fulfill({
    status: 404, contentType: "application/problem+json",
    body: JSON.stringify({ type: "about:blank", title: "Not Found", status: 404, detail: "No such route." }),
  }));
  await oldPage.goto(`${BASE}/#/anmelden?weiter=${encodeURIComponent("#/termine")}`);
  await oldPage.fill("#kennung", SUB);
  await oldPage.press("#kennung", "Enter");
  await oldPage.waitForSelector("#auswahltag");
  await oldPage.locator("text=werden geladen").waitFor({ state: "detached" });
  const oldText = await oldPage.locator("main").innerText();
  check(oldText.includes("Termin buchen") && oldText.includes(`eingeladen: Kennziffer ${INVITE_KENNZIFFER}`) && !oldText.includes("Ihre Einladungen") &&
    !oldText.includes("Es ist ein Problem aufgetreten"), "without the invitations route the page falls back to the Kennung field, naming the invitation");
  await axe(oldPage, "termine-ohne-einladungsliste");
  await oldContext.close();

  // 7. Where the development sign-in is off (production), the page says so.
  const prod = await browser.newContext({ locale: "de-DE" });
  const prodPage = await prod.newPage();
  await prodPage.route("**/v1/dev/sign-in", (r) => r.fulfill({
    status: 404, contentType: "application/problem+json",
    body: JSON.stringify({ type: "about:blank", title: "Not Found", status: 404, detail: "No such route." }),
  }));
  await prodPage.goto(`${BASE}/#/anmelden`);
  await prodPage.fill("#kennung", "jemand");
  await prodPage.press("#kennung", "Enter");
  await prodPage.waitForSelector("text=Anmeldung nicht verfügbar");
  check(true, "a 404 from the sign-in route says that sign-in is unavailable");
  await axe(prodPage, "anmelden-nicht-verfuegbar");
  await prod.close();

  check(pageErrors.length === 0, `no script or CSP error in the page${pageErrors.length ? `: ${pageErrors.join(" | ")}` : ""}`);
  result = { applicationId, anonymisedApplicationId, bookingId, writtenBookingId };
} catch (e) {
  failures.push(String(e && e.stack ? e.stack : e));
  console.log(`FAIL ${e && e.stack ? e.stack : e}`);
  if (page) {
    // Where it stopped: the screen and what the page said.
    await page.screenshot({ path: join(SHOTS, "fehlgeschlagen.png"), fullPage: true }).catch(() => {});
    const said = await page.locator("main").innerText().catch(() => "");
    console.log(`     page text: ${said.replace(/\s+/g, " ").slice(0, 1500)}`);
  }
} finally {
  if (browser) await browser.close();
  rmSync(profile, { recursive: true, force: true });
}
writeFileSync(join(SHOTS, "axe.json"), JSON.stringify(axeReports, null, 2));
console.log(`RESULT ${JSON.stringify({ ...result, failures: failures.length })}`);
process.exit(failures.length ? 1 : 0);
