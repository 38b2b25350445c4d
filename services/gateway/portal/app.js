// Reference career portal: plain JavaScript, no framework, no build step (ADR 0030).
// Talks only to the gateway's REST routes (CONTRACT.md "REST"); every text shown to the
// person is German, addressed formally. Pages are hash routes so that the gateway serves one
// file; after each change of page the focus moves to the new heading (screen readers hear it).
"use strict";

(function () {
  const TENANT_OF_APPLICANTS = "portal";
  const CONSENT_VERSION = "datenschutz-2024-01";
  const view = () => document.getElementById("view");
  const live = () => document.getElementById("live");

  // --- small DOM helpers (text is always set as text: nothing from the server is HTML) -------
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === false || v === null || v === undefined) continue;
      if (k === "class") el.className = v;
      else if (k === "text") el.textContent = v;
      else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children.flat(Infinity)) {
      if (c === null || c === undefined || c === false) continue;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  }
  function show(title, ...content) {
    document.title = `${title} – Karriereportal`;
    const heading = h("h1", { tabindex: "-1", id: "seitentitel" }, title);
    view().replaceChildren(heading, ...content.flat());
    return heading;
  }
  function announce(text) {
    live().textContent = "";
    // A fresh text node after the clear, so that the same message is announced again.
    setTimeout(() => { live().textContent = text; }, 30);
  }
  let focusOnRender = false;
  function focusHeading() {
    if (!focusOnRender) return;
    const el = document.getElementById("seitentitel");
    if (el) el.focus();
  }

  // --- formatting ---------------------------------------------------------------------------
  const euro = new Intl.NumberFormat("de-DE", { style: "currency", currency: "EUR" });
  const berlinDateTime = new Intl.DateTimeFormat("de-DE", {
    timeZone: "Europe/Berlin", day: "2-digit", month: "2-digit", year: "numeric",
    hour: "2-digit", minute: "2-digit",
  });
  const berlinDate = new Intl.DateTimeFormat("de-DE", {
    timeZone: "Europe/Berlin", day: "2-digit", month: "2-digit", year: "numeric",
  });
  const PAY_SCHEMES = {
    TVOED: "TVöD", TV_L: "TV-L", LBESG_NRW: "LBesG NRW", PKW_FAHRER_TV_L: "Pkw-Fahrer-TV-L",
  };
  const KINDS = {
    JOB: "Stelle", INTERNSHIP: "Praktikum", TRAINEE: "Traineeprogramm", APPRENTICESHIP: "Ausbildung",
  };
  const CONTRACTS = { PERMANENT: "unbefristet", FIXED_TERM: "befristet" };
  const STATUSES = {
    RECEIVED: "Eingegangen", SCREENING: "In Prüfung", SHORTLISTED: "In der engeren Auswahl",
    INVITED: "Zum Gespräch eingeladen", INTERVIEWED: "Gespräch geführt",
    PROPOSED: "Zur Einstellung vorgeschlagen", PENDING_COORDINATION: "In Abstimmung",
    OFFER_APPROVED: "Zusage erteilt", HIRED: "Eingestellt", REJECTED: "Absage",
    WITHDRAWN: "Zurückgezogen",
  };
  const DOCUMENT_KINDS = {
    CV: "Lebenslauf", COVER_LETTER: "Anschreiben", CERTIFICATE: "Zeugnis", OTHER_DOCUMENT: "Sonstiges",
  };

  function money(cents) {
    const n = Number(cents);
    return Number.isFinite(n) && n > 0 ? euro.format(n / 100) : "";
  }
  function payText(p) {
    const scheme = PAY_SCHEMES[p.scheme] || "";
    const grades = (p.grades || []).join(", ");
    const lo = money(p.minCents), hi = money(p.maxCents);
    const range = lo && hi && lo !== hi ? `${lo} bis ${hi} monatlich (brutto)`
      : lo || hi ? `${lo || hi} monatlich (brutto)` : "";
    return [[grades, scheme].filter(Boolean).join(" "), range].filter(Boolean).join(": ");
  }
  function isoDateText(iso) {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso || "");
    return m ? `${m[3]}.${m[2]}.${m[1]}` : iso || "";
  }
  // The application deadline ends at 23:59:59 Berlin time; shown as Berlin time whatever the
  // browser's own time zone.
  function deadlineText(posting) {
    if (posting.deadlineTime) {
      const t = new Date(posting.deadlineTime);
      if (!Number.isNaN(t.getTime())) {
        return `${berlinDateTime.format(new Date(t.getTime() - 1000))} Uhr (deutsche Zeit)`;
      }
    }
    return posting.applicationDeadline ? `${isoDateText(posting.applicationDeadline)}, 23:59 Uhr (deutsche Zeit)` : "";
  }
  function timeText(ts) {
    const t = new Date(ts || "");
    return Number.isNaN(t.getTime()) ? "" : `${berlinDateTime.format(t)} Uhr`;
  }
  function dateOnly(ts) {
    const t = new Date(ts || "");
    return Number.isNaN(t.getTime()) ? "" : berlinDate.format(t);
  }

  // --- the session (the token lives in this tab only) ----------------------------------------
  const session = {
    get token() { return sessionStorage.getItem("stw.token") || ""; },
    get sub() { return sessionStorage.getItem("stw.sub") || ""; },
    set(token, sub) { sessionStorage.setItem("stw.token", token); sessionStorage.setItem("stw.sub", sub); },
    clear() { sessionStorage.removeItem("stw.token"); sessionStorage.removeItem("stw.sub"); },
  };
  function updateAccountNav() {
    const li = document.getElementById("nav-account");
    if (session.token) {
      li.replaceChildren(h("button", {
        type: "button", class: "secondary", onclick: () => { session.clear(); updateAccountNav(); location.hash = "#/"; announce("Sie sind abgemeldet."); },
      }, "Abmelden"));
    } else {
      li.replaceChildren(h("a", { href: "#/anmelden", "data-nav": "anmelden" }, "Anmelden"));
    }
  }

  // --- HTTP ---------------------------------------------------------------------------------
  class ApiError extends Error {
    constructor(status, problem) {
      super(problem && problem.detail ? problem.detail : `HTTP ${status}`);
      this.status = status;
      this.problem = problem || {};
    }
  }
  async function api(method, path, { body, form, auth = false, headers = {} } = {}) {
    const init = { method, headers: { Accept: "application/json, application/problem+json", ...headers } };
    if (auth && session.token) init.headers.Authorization = `Bearer ${session.token}`;
    if (form) init.body = form;
    else if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(path, init);
    } catch (e) {
      throw new ApiError(0, { detail: "" });
    }
    const text = await res.text();
    let data = null;
    if (text) {
      try { data = JSON.parse(text); } catch (e) { data = text; }
    }
    if (!res.ok) throw new ApiError(res.status, typeof data === "object" ? data : { detail: "" });
    return data;
  }

  // What a person reads for an error: a German sentence per HTTP status (RFC 9457's title is
  // English), the system's detail, and the fields that were not accepted.
  const STATUS_TEXT = {
    0: "Der Server ist nicht erreichbar. Bitte prüfen Sie Ihre Internetverbindung und versuchen Sie es erneut.",
    400: "Ihre Angaben konnten nicht verarbeitet werden. Bitte prüfen Sie die markierten Angaben.",
    401: "Bitte melden Sie sich an. Ihre Anmeldung ist abgelaufen oder fehlt.",
    403: "Dafür fehlt Ihnen die Berechtigung.",
    404: "Das Gesuchte wurde nicht gefunden.",
    409: "Dieser Vorgang wurde bereits ausgeführt oder kollidiert mit einer anderen Änderung.",
    412: "Die Angaben wurden inzwischen geändert. Bitte laden Sie die Seite neu.",
    413: "Die Datei oder Anfrage ist zu groß.",
    429: "Zu viele Anfragen in kurzer Zeit. Bitte warten Sie einen Moment und versuchen Sie es erneut.",
    501: "Diese Funktion wird noch nicht angeboten.",
    503: "Dieser Dienst ist zurzeit nicht verfügbar. Bitte versuchen Sie es später erneut.",
    504: "Der Dienst hat nicht rechtzeitig geantwortet. Bitte versuchen Sie es erneut.",
  };
  const FIELD_LABELS = {
    "applicant.given_name": "Vorname", "applicant.givenName": "Vorname",
    "applicant.family_name": "Nachname", "applicant.familyName": "Nachname",
    "applicant.email": "E-Mail-Adresse", "applicant.phone": "Telefon", "applicant.address": "Anschrift",
    consent: "Einwilligung zum Datenschutz", "consent.version": "Einwilligung zum Datenschutz",
    document_ids: "Unterlagen", documentIds: "Unterlagen", cv: "Lebenslauf",
    cover_letter: "Anschreiben (Datei)", certificate: "Zeugnisse", posting_id: "Stelle",
    sub: "Kennung", tenant_id: "Mandant",
    cover_letter_text: "Anschreiben", coverLetterText: "Anschreiben",
    anonymised_motivation: "Ihre Motivation", anonymisedMotivation: "Ihre Motivation",
    anonymised_qualification: "Ihre Qualifikation", anonymisedQualification: "Ihre Qualifikation",
  };
  // The services describe field violations in English (google.rpc.BadRequest); the ones a
  // person can fix get a German sentence, the rest are shown as they come.
  const COVER_LETTER_NEEDED = "Bitte fügen Sie ein Anschreiben als Datei bei oder schreiben Sie es als Text.";
  function violationText(v) {
    const d = (v && v.description) || "";
    if (/must not contain your name or email/.test(d)) {
      return "Bitte nennen Sie in diesem Text weder Ihren Namen noch Ihre E-Mail-Adresse: Die Auswahlkommission liest ihn, ohne zu wissen, wer Sie sind.";
    }
    if (/anonymised procedure needs this text/.test(d)) return "Bitte füllen Sie dieses Feld aus; im anonymisierten Verfahren ist es erforderlich.";
    if (/a cover letter \(text or document\) is required/.test(d)) return COVER_LETTER_NEEDED;
    if (/at most 4,000 characters/.test(d)) return "Bitte kürzen Sie den Text auf höchstens 4.000 Zeichen.";
    return d;
  }
  function errorBox(err, fieldIds) {
    const p = err.problem || {};
    const status = err.status;
    const general = STATUS_TEXT[status] || (status >= 500
      ? "Es ist ein Fehler auf unserer Seite aufgetreten. Bitte versuchen Sie es später erneut."
      : "Ihre Anfrage konnte nicht bearbeitet werden.");
    const list = (p.violations || []).map((v) => {
      const label = FIELD_LABELS[v.field] || v.field;
      const id = fieldIds && fieldIds[v.field];
      return h("li", {}, id ? h("a", { href: `#${id}`, onclick: (e) => { e.preventDefault(); const t = document.getElementById(id); if (t) t.focus(); } }, label) : label,
        v.description ? `: ${violationText(v)}` : "");
    });
    const box = h("div", { class: "alert", role: "alert", tabindex: "-1" },
      h("h2", {}, "Es ist ein Problem aufgetreten"),
      h("p", {}, general),
      p.detail ? h("p", {}, `Hinweis des Systems: ${p.detail}`) : null,
      list.length ? h("ul", {}, list) : null,
      p.correlation_id ? h("p", { class: "hint" }, `Vorgangsnummer für Rückfragen: ${p.correlation_id}`) : null);
    return box;
  }
  function signInNotice(what) {
    return h("div", { class: "notice" },
      h("p", {}, `Bitte melden Sie sich an, um ${what}.`),
      h("p", {}, h("a", { href: `#/anmelden?weiter=${encodeURIComponent(location.hash)}` }, "Zur Anmeldung")));
  }
  function problemView(title, err) {
    show(title, errorBox(err));
    focusHeading();
  }

  // --- search -------------------------------------------------------------------------------
  function selectField(id, label, options, value) {
    return h("div", { class: "field" },
      h("label", { for: id }, label),
      h("select", { id, name: id }, options.map(([v, text]) => h("option", { value: v, selected: v === value }, text))));
  }
  function textField(id, label, value, attrs = {}) {
    return h("div", { class: "field" },
      h("label", { for: id }, label),
      attrs.hint ? h("span", { class: "hint", id: `${id}-hint` }, attrs.hint) : null,
      h("input", { type: attrs.type || "text", id, name: id, value: value || "", autocomplete: attrs.autocomplete || "off",
        "aria-describedby": attrs.hint ? `${id}-hint` : null, required: attrs.required, inputmode: attrs.inputmode }));
  }

  async function searchPage(params) {
    const q = {
      query: params.get("q") || "", location: params.get("ort") || "",
      payScheme: params.get("tarif") || "", gradeMin: params.get("von") || "", gradeMax: params.get("bis") || "",
      postingKind: params.get("art") || "", partTime: params.get("teilzeit") === "1",
      pageToken: params.get("seite") || "",
    };
    const form = h("form", { class: "filters", role: "search", "aria-label": "Stellen suchen", onsubmit: (e) => {
      e.preventDefault();
      const f = e.target.elements;
      const next = new URLSearchParams();
      if (f.q.value.trim()) next.set("q", f.q.value.trim());
      if (f.ort.value.trim()) next.set("ort", f.ort.value.trim());
      if (f.tarif.value) next.set("tarif", f.tarif.value);
      if (f.von.value.trim()) next.set("von", f.von.value.trim());
      if (f.bis.value.trim()) next.set("bis", f.bis.value.trim());
      if (f.art.value) next.set("art", f.art.value);
      if (f.teilzeit.checked) next.set("teilzeit", "1");
      const target = `#/?${next.toString()}`;
      if (location.hash === target) route(); else location.hash = target;
    } },
      h("div", { class: "field" },
        h("label", { for: "q" }, "Suchbegriff"),
        h("span", { class: "hint", id: "q-hint" }, "z. B. Sachbearbeitung, Kennziffer oder Fachbereich"),
        h("input", { type: "search", id: "q", name: "q", value: q.query, "aria-describedby": "q-hint" })),
      h("div", { class: "grid" },
        textField("ort", "Ort", q.location, { autocomplete: "address-level2" }),
        selectField("art", "Art des Angebots", [["", "Alle"], ...Object.entries(KINDS)], q.postingKind),
        selectField("tarif", "Tarif / Besoldung", [["", "Alle"], ...Object.entries(PAY_SCHEMES)], q.payScheme),
        textField("von", "Entgelt-/Besoldungsgruppe ab", q.gradeMin, { hint: "z. B. EG 6 oder A 6" }),
        textField("bis", "Entgelt-/Besoldungsgruppe bis", q.gradeMax, { hint: "z. B. EG 9b oder A 9" })),
      h("div", { class: "check" },
        h("input", { type: "checkbox", id: "teilzeit", name: "teilzeit", checked: q.partTime }),
        h("label", { for: "teilzeit" }, "Nur Stellen, die auch in Teilzeit möglich sind")),
      h("div", { class: "actions" }, h("button", { type: "submit" }, "Stellen suchen")));
    const results = h("section", { "aria-labelledby": "treffer" }, h("h2", { id: "treffer" }, "Treffer"), h("p", {}, "Die Suche läuft …"));
    show("Stellenangebote", h("p", {}, "Es werden nur Stellen angezeigt, auf die Sie sich derzeit bewerben können."), form, results);
    focusHeading();

    const query = new URLSearchParams({ openOnly: "true", pageSize: "20" });
    for (const [k, v] of Object.entries(q)) {
      if (v === "" || v === false) continue;
      query.set(k, v === true ? "true" : v);
    }
    try {
      const data = await api("GET", `/v1/postings?${query.toString()}`) || {};
      const hits = data.hits || [];
      const total = data.totalSize > 1000 ? "mehr als 1000" : String(data.totalSize || hits.length);
      const items = hits.map(({ posting }) => {
        const pay = (posting.pay || []).map(payText).filter(Boolean).join(" / ");
        return h("li", {},
          h("h3", {}, h("a", { href: `#/stelle/${encodeURIComponent(posting.id)}` }, posting.title || "Ohne Titel")),
          h("p", { class: "employer" }, [posting.employerName, posting.department].filter(Boolean).join(" – ")),
          h("ul", { class: "meta" },
            h("li", {}, `Kennziffer ${posting.kennziffer || "–"}`),
            posting.location ? h("li", {}, `Ort: ${posting.location}`) : null,
            posting.postingKind ? h("li", {}, KINDS[posting.postingKind] || "") : null,
            pay ? h("li", {}, pay) : null,
            deadlineText(posting) ? h("li", {}, `Bewerbungsfrist: ${deadlineText(posting)}`) : null));
      });
      const countText = hits.length ? `${total} ${total === "1" ? "Stelle" : "Stellen"} gefunden.` : "Keine passenden Stellen gefunden. Bitte ändern Sie Ihre Suche.";
      const children = [h("h2", { id: "treffer" }, "Treffer"), h("p", {}, countText)];
      if (items.length) children.push(h("ul", { class: "results" }, items));
      if (data.nextPageToken) {
        const next = new URLSearchParams(params);
        next.set("seite", data.nextPageToken);
        children.push(h("p", { class: "pager" }, h("a", { href: `#/?${next.toString()}` }, "Weitere Treffer")));
      }
      results.replaceChildren(...children);
      announce(countText);
    } catch (err) {
      results.replaceChildren(h("h2", { id: "treffer" }, "Treffer"), errorBox(err));
    }
  }

  // --- one posting --------------------------------------------------------------------------
  function setJsonLd(obj) {
    const old = document.getElementById("jobposting-jsonld");
    if (old) old.remove();
    if (!obj) return;
    // A data block, not a script: the CSP's script-src does not apply, "<" is escaped.
    const s = h("script", { type: "application/ld+json", id: "jobposting-jsonld" });
    s.textContent = JSON.stringify(obj).replace(/</g, "\\u003c");
    document.head.append(s);
  }
  async function loadJsonLd(id) {
    try {
      let data = await api("GET", `/v1/postings/${encodeURIComponent(id)}/jobposting.jsonld`);
      if (typeof data === "string") data = JSON.parse(data);
      if (data && typeof data.jsonLd === "string") data = JSON.parse(data.jsonLd);
      setJsonLd(data);
    } catch (e) {
      setJsonLd(null);  // the page works without it; search engines get it next time
    }
  }
  function list(items) {
    return items && items.length ? h("ul", {}, items.map((t) => h("li", {}, t))) : null;
  }
  function section(title, ...content) {
    const body = content.flat().filter(Boolean);
    return body.length ? [h("h2", {}, title), ...body] : [];
  }

  async function postingPage(id) {
    show("Stelle wird geladen …");
    let p;
    try {
      p = await api("GET", `/v1/postings/${encodeURIComponent(id)}`);
    } catch (err) {
      setJsonLd(null);
      return problemView("Stelle nicht verfügbar", err);
    }
    loadJsonLd(id);
    const e = p.employment || {};
    const hours = e.weeklyHours ? `${String(e.weeklyHours).replace(".", ",")} Stunden pro Woche` +
      (e.weeklyHoursCivilServants ? ` (Beamtinnen und Beamte: ${String(e.weeklyHoursCivilServants).replace(".", ",")} Stunden)` : "") : "";
    const contract = [CONTRACTS[e.contract],
      e.fixedTermMonths ? `für ${e.fixedTermMonths} Monate` : "",
      e.fixedTermEndDate ? `bis ${isoDateText(e.fixedTermEndDate)}` : "",
      e.fixedTermReason ? `(${e.fixedTermReason})` : ""].filter(Boolean).join(" ");
    const facts = [
      ["Kennziffer", p.kennziffer],
      ["Arbeitgeber", p.employerName],
      ["Organisationseinheit", p.department],
      ["Arbeitsort", [p.streetAddress, [p.postalCode, p.location].filter(Boolean).join(" ")].filter(Boolean).join(", ")],
      ["Art", KINDS[p.postingKind]],
      ["Vergütung", (p.pay || []).map(payText).filter(Boolean).join(" / ")],
      ["Beschäftigung", contract],
      ["Arbeitszeit", hours],
      ["Teilzeit", e.partTimePossible ? "möglich" + (e.jobSharingPossible ? ", auch im Jobsharing" : "") : ""],
      ["Bewerbungsfrist", deadlineText(p)],
    ].filter(([, v]) => v);
    const eo = p.equalOpportunity || {};
    const statements = [
      eo.womenPreferredIfUnderrepresented || p.womenPreferredIfUnderrepresented
        ? "Bewerbungen von Frauen sind ausdrücklich erwünscht. Frauen werden bei gleicher Eignung, Befähigung und fachlicher Leistung bevorzugt berücksichtigt, sofern nicht in der Person eines Mitbewerbers liegende Gründe überwiegen (§ 7 LGG NRW)." : null,
      eo.severelyDisabledEncouraged
        ? "Die Bewerbung schwerbehinderter und ihnen gleichgestellter Menschen ist erwünscht (SGB IX)." : null,
      eo.diversityStatement
        ? "Wir begrüßen Bewerbungen unabhängig von kultureller und sozialer Herkunft, Alter, Religion, Weltanschauung, Behinderung oder sexueller Identität." : null,
      p.anonymised ? "Das Auswahlverfahren ist anonymisiert: Ihr Name wird der Auswahlkommission erst zur Einladung bekannt." : null,
    ].filter(Boolean);
    const contacts = (p.contacts || []).map((c) => h("li", {},
      h("strong", {}, c.kind === "PROCEDURE" ? "Fragen zum Verfahren: " : c.kind === "SUBJECT_MATTER" ? "Fachliche Fragen: " : ""),
      [c.name, c.department].filter(Boolean).join(", "),
      c.phone ? [", Telefon ", h("a", { href: `tel:${c.phone.replace(/[^0-9+]/g, "")}` }, c.phone)] : null,
      c.email ? [", E-Mail ", h("a", { href: `mailto:${c.email}` }, c.email)] : null));
    const open = p.status === "PUBLISHED" && (!p.deadlineTime || new Date(p.deadlineTime) > new Date());
    show(p.title || "Stelle",
      h("p", { class: "employer" }, [p.employerName, p.location].filter(Boolean).join(", ")),
      h("dl", { class: "facts" }, facts.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])),
      open ? h("p", {}, h("a", { class: "button", href: `#/stelle/${encodeURIComponent(p.id)}/bewerben` }, "Jetzt bewerben"))
        : h("p", { class: "notice" }, "Auf diese Stelle können Sie sich nicht mehr bewerben."),
      section("Ihre Aufgaben", p.description ? h("p", {}, p.description) : null, list(p.tasks)),
      section("Ihr Profil", list(p.requirements)),
      section("Zugangsvoraussetzungen (eine davon genügt)", list((p.qualificationPaths || []).map((q) =>
        q.description + (q.additionalTrainingRequired ? ` – mit der Bereitschaft zur Qualifizierung: ${q.additionalTraining || "Fortbildung"}${q.trainingDeadlineMonths ? ` innerhalb von ${q.trainingDeadlineMonths} Monaten` : ""}` : "")))),
      section("Wir bieten", list(p.benefits)),
      section("Chancengleichheit", list(statements)),
      section("Ansprechpersonen", contacts.length ? h("ul", {}, contacts) : null),
      h("p", {}, h("a", { href: "#/" }, "Zurück zur Stellensuche")));
    focusHeading();
  }

  // --- applying -----------------------------------------------------------------------------
  function randomId() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  }
  const ACCEPT = ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg";

  async function applyPage(id) {
    if (!session.token) {
      show("Online bewerben", signInNotice("sich zu bewerben"));
      return focusHeading();
    }
    let p;
    try {
      p = await api("GET", `/v1/postings/${encodeURIComponent(id)}`);
    } catch (err) {
      return problemView("Stelle nicht verfügbar", err);
    }
    const requestId = randomId();  // one per filled-in form: a retry is not a second application
    const fieldIds = {
      "applicant.given_name": "vorname", "applicant.givenName": "vorname",
      "applicant.family_name": "nachname", "applicant.familyName": "nachname",
      "applicant.email": "email", "applicant.phone": "telefon", "applicant.address": "anschrift",
      consent: "einwilligung", "consent.version": "einwilligung", cv: "lebenslauf",
      document_ids: "lebenslauf", documentIds: "lebenslauf", cover_letter: "anschreiben-datei",
      certificate: "zeugnisse",
      anonymised_motivation: "motivation", anonymisedMotivation: "motivation",
      anonymised_qualification: "qualifikation", anonymisedQualification: "qualifikation",
      cover_letter_text: "anschreiben", coverLetterText: "anschreiben",
    };
    // Anonymised procedure (ADR 0033): the committee reads two texts without name or email
    // until the invitation, not the cover letter; the service refuses them otherwise.
    const anonymised = !!p.anonymised;
    const errorSlot = h("div", {});
    function input(idf, label, type, attrs = {}) {
      const describedby = [attrs.describedby || "", attrs.hint ? `${idf}-hint` : "", `${idf}-error`].filter(Boolean).join(" ");
      return h("div", { class: "field" },
        h("label", { for: idf }, label, attrs.required ? " (Pflichtangabe)" : ""),
        attrs.hint ? h("span", { class: "hint", id: `${idf}-hint` }, attrs.hint) : null,
        h("span", { class: "field-error", id: `${idf}-error`, hidden: true }),
        type === "textarea"
          ? h("textarea", { id: idf, name: idf, required: attrs.required, maxlength: attrs.maxlength, rows: attrs.rows,
            "aria-describedby": describedby })
          : h("input", { type, id: idf, name: idf, required: attrs.required, autocomplete: attrs.autocomplete,
            accept: attrs.accept, multiple: attrs.multiple, "aria-describedby": describedby }));
    }
    function check(idf, label, attrs = {}) {
      return h("div", { class: "check" },
        h("input", { type: "checkbox", id: idf, name: idf, required: attrs.required,
          "aria-describedby": attrs.describedby || `${idf}-error` }),
        h("label", { for: idf }, label),
        h("span", { class: "field-error", id: `${idf}-error`, hidden: true }));
    }
    function markError(idf, message) {
      const el = document.getElementById(idf);
      const msg = document.getElementById(`${idf}-error`);
      if (el) el.setAttribute("aria-invalid", "true");
      if (msg) { msg.textContent = message; msg.hidden = false; }
    }
    function clearErrors(form) {
      for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
      for (const el of form.querySelectorAll(".field-error")) { el.textContent = ""; el.hidden = true; }
      errorSlot.replaceChildren();
    }
    const form = h("form", { novalidate: true, "aria-describedby": "pflicht", onsubmit: async (e) => {
      e.preventDefault();
      const f = e.target;
      clearErrors(f);
      const el = f.elements;
      const missing = [];
      const need = (idf, label, ok) => { if (!ok) { markError(idf, `Bitte geben Sie ${label} an.`); missing.push([idf, label]); } };
      need("vorname", "Ihren Vornamen", el.vorname.value.trim());
      need("nachname", "Ihren Nachnamen", el.nachname.value.trim());
      need("email", "eine gültige E-Mail-Adresse", /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(el.email.value.trim()));
      need("lebenslauf", "Ihren Lebenslauf als Datei", el.lebenslauf.files.length === 1);
      // The service requires a cover letter, as a file or as text (either will do).
      if (!el.anschreiben.value.trim() && !el["anschreiben-datei"].files.length) {
        markError("anschreiben", COVER_LETTER_NEEDED);
        missing.push(["anschreiben", "ein Anschreiben (als Datei oder als Text)"]);
      }
      if (anonymised) {
        need("motivation", "Ihre Motivation", el.motivation.value.trim());
        need("qualifikation", "Ihre Qualifikation", el.qualifikation.value.trim());
      }
      if (!el.einwilligung.checked) {
        markError("einwilligung", "Ohne Ihre Einwilligung können wir Ihre Bewerbung nicht bearbeiten.");
        missing.push(["einwilligung", "die Einwilligung zum Datenschutz"]);
      }
      if (missing.length) {
        const box = h("div", { class: "alert", role: "alert", tabindex: "-1" },
          h("h2", {}, "Bitte prüfen Sie Ihre Angaben"),
          h("ul", {}, missing.map(([idf, label]) => h("li", {}, h("a", { href: `#${idf}`, onclick: (ev) => { ev.preventDefault(); document.getElementById(idf).focus(); } }, `Es fehlt ${label}.`)))));
        errorSlot.replaceChildren(box);
        box.focus();
        return;
      }
      const submission = {
        postingId: p.id,
        applicant: {
          givenName: el.vorname.value.trim(), familyName: el.nachname.value.trim(),
          email: el.email.value.trim(), phone: el.telefon.value.trim(), address: el.anschrift.value.trim(),
        },
        coverLetterText: el.anschreiben.value,
        consent: { version: CONSENT_VERSION, givenTime: new Date().toISOString() },
        severelyDisabled: el.schwerbehindert.checked,
        equivalentStatus: el.gleichgestellt.checked,
        talentPoolConsent: el.talentpool.checked,
        requestId,
      };
      if (anonymised) {
        submission.anonymisedMotivation = el.motivation.value.trim();
        submission.anonymisedQualification = el.qualifikation.value.trim();
      }
      const body = new FormData();
      body.append("cv", el.lebenslauf.files[0]);
      if (el["anschreiben-datei"].files.length) body.append("cover_letter", el["anschreiben-datei"].files[0]);
      for (const file of el.zeugnisse.files) body.append("certificate", file);
      body.append("application", JSON.stringify(submission));  // no file name: the JSON part
      const button = f.querySelector("button[type=submit]");
      button.disabled = true;
      button.textContent = "Bewerbung wird gesendet …";
      announce("Ihre Bewerbung wird gesendet.");
      try {
        const a = await api("POST", "/v1/applications", { form: body, auth: true, headers: { "Idempotency-Key": requestId } });
        sessionStorage.setItem("stw.lastApplication", a.id || "");
        show("Vielen Dank für Ihre Bewerbung",
          h("div", { class: "success" },
            h("p", {}, `Ihre Bewerbung auf „${p.title}“ (Kennziffer ${p.kennziffer}) ist eingegangen.`),
            a.submitTime ? h("p", {}, `Eingang: ${timeText(a.submitTime)}`) : null,
            h("p", {}, "Eine Eingangsbestätigung erhalten Sie in Ihr Postfach.")),
          h("p", {}, h("a", { href: "#/bewerbungen" }, "Zu Ihren Bewerbungen")));
        focusOnRender = true;
        focusHeading();
      } catch (err) {
        button.disabled = false;
        button.textContent = "Bewerbung absenden";
        for (const v of (err.problem && err.problem.violations) || []) {
          if (fieldIds[v.field]) markError(fieldIds[v.field], violationText(v) || "Bitte prüfen Sie diese Angabe.");
        }
        if (err.status === 401) session.clear(), updateAccountNav();
        const box = errorBox(err, fieldIds);
        errorSlot.replaceChildren(box);
        box.focus();
      }
    } },
      h("p", { id: "pflicht", class: "required-note" }, "Pflichtangaben sind mit „(Pflichtangabe)“ gekennzeichnet."),
      h("fieldset", {},
        h("legend", {}, "Ihre Kontaktdaten"),
        input("vorname", "Vorname", "text", { required: true, autocomplete: "given-name" }),
        input("nachname", "Nachname", "text", { required: true, autocomplete: "family-name" }),
        input("email", "E-Mail-Adresse", "email", { required: true, autocomplete: "email", hint: "An diese Adresse senden wir Nachrichten zu Ihrer Bewerbung." }),
        input("telefon", "Telefon", "tel", { autocomplete: "tel" }),
        input("anschrift", "Anschrift", "text", { autocomplete: "street-address", hint: "Straße, Hausnummer, Postleitzahl und Ort" })),
      h("fieldset", {},
        h("legend", {}, "Ihre Unterlagen"),
        h("p", { class: "hint" }, "Erlaubt sind PDF-, PNG- und JPEG-Dateien. Ein Anschreiben ist erforderlich: als Datei oder als Text."),
        input("lebenslauf", "Lebenslauf", "file", { required: true, accept: ACCEPT }),
        input("anschreiben-datei", "Anschreiben als Datei", "file", { accept: ACCEPT }),
        input("zeugnisse", "Zeugnisse und Nachweise", "file", { accept: ACCEPT, multiple: true, hint: "Sie können mehrere Dateien auswählen." }),
        input("anschreiben", "Anschreiben als Text", "textarea", { hint: anonymised
          ? "Alternativ oder zusätzlich zur Datei. Im anonymisierten Verfahren liest die Auswahlkommission Ihr Anschreiben erst nach der Einladung."
          : "Alternativ oder zusätzlich zur Datei." })),
      anonymised ? h("fieldset", {},
        h("legend", {}, "Angaben für das anonymisierte Auswahlverfahren"),
        h("p", { class: "hint", id: "anonym-hint" }, "Diese Stelle wird anonymisiert besetzt: Die Auswahlkommission liest zunächst nur die beiden folgenden Texte – nicht Ihren Namen, Ihre Kontaktdaten, Ihr Anschreiben oder Ihre Unterlagen. Bitte nennen Sie darin weder Ihren Namen noch Ihre E-Mail-Adresse."),
        input("motivation", "Ihre Motivation", "textarea", { required: true, maxlength: 4000, rows: 6, describedby: "anonym-hint",
          hint: "Warum möchten Sie diese Aufgabe übernehmen? Höchstens 4.000 Zeichen." }),
        input("qualifikation", "Ihre Qualifikation", "textarea", { required: true, maxlength: 4000, rows: 6, describedby: "anonym-hint",
          hint: "Ausbildung, Berufserfahrung und Kenntnisse, die für die Stelle wichtig sind. Höchstens 4.000 Zeichen." })) : null,
      h("fieldset", {},
        h("legend", {}, "Freiwillige Angaben"),
        h("p", { class: "hint", id: "sb-hint" }, "Schwerbehinderte und ihnen gleichgestellte Bewerberinnen und Bewerber werden bei gleicher Eignung bevorzugt berücksichtigt; bei öffentlichen Arbeitgebern werden sie grundsätzlich zum Vorstellungsgespräch eingeladen (§ 165 SGB IX). Die Angabe ist freiwillig."),
        check("schwerbehindert", "Ich bin schwerbehindert.", { describedby: "sb-hint" }),
        check("gleichgestellt", "Ich bin einem schwerbehinderten Menschen gleichgestellt.", { describedby: "sb-hint" }),
        check("talentpool", "Meine Bewerbung darf für andere passende Stellen berücksichtigt werden (Talentpool).")),
      h("fieldset", {},
        h("legend", {}, "Datenschutz"),
        h("p", { id: "einwilligung-text" }, "Wir verarbeiten Ihre Angaben und Unterlagen ausschließlich für dieses Auswahlverfahren (Art. 6 Abs. 1 lit. b und Art. 88 DSGVO, § 26 BDSG bzw. Landesrecht). Nach Abschluss des Verfahrens werden sie nach sechs Monaten gelöscht, sofern Sie nicht dem Talentpool zugestimmt haben. Sie können Ihre Einwilligung jederzeit widerrufen. ",
          h("a", { href: "#/datenschutz" }, "Datenschutzhinweise lesen")),
        check("einwilligung", "Ich habe die Datenschutzhinweise gelesen und willige in die Verarbeitung meiner Daten für dieses Bewerbungsverfahren ein. (Pflichtangabe)", { required: true, describedby: "einwilligung-text einwilligung-error" })),
      h("div", { class: "actions" }, h("button", { type: "submit" }, "Bewerbung absenden")));
    show("Online bewerben",
      h("p", {}, `Stelle: ${p.title} (Kennziffer ${p.kennziffer})`, p.deadlineTime || p.applicationDeadline ? ` – Bewerbungsfrist: ${deadlineText(p)}` : ""),
      errorSlot, form);
    focusHeading();
  }

  // --- my applications, inbox, bookings ----------------------------------------------------
  async function applicationsPage() {
    if (!session.token) { show("Meine Bewerbungen", signInNotice("Ihre Bewerbungen zu sehen")); return focusHeading(); }
    show("Meine Bewerbungen", h("p", {}, "Ihre Bewerbungen werden geladen …"));
    focusHeading();
    try {
      const data = await api("GET", "/v1/me/applications?pageSize=50", { auth: true }) || {};
      const apps = data.applications || [];
      if (!apps.length) {
        view().replaceChildren(view().firstChild, h("p", {}, "Sie haben noch keine Bewerbung abgeschickt."), h("p", {}, h("a", { href: "#/" }, "Zur Stellensuche")));
        return announce("Keine Bewerbungen vorhanden.");
      }
      const table = h("table", {},
        h("caption", { class: "visually-hidden" }, "Ihre Bewerbungen mit Status"),
        h("thead", {}, h("tr", {}, ["Kennziffer", "Eingang", "Status", "Unterlagen"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, apps.map((a) => h("tr", {},
          h("td", {}, h("a", { href: `#/stelle/${encodeURIComponent(a.postingId)}` }, a.kennziffer || "Stelle")),
          h("td", {}, timeText(a.submitTime)),
          h("td", {}, h("span", { class: "status" }, STATUSES[a.status] || a.status || "")),
          h("td", {}, (a.documents || []).map((d) => `${DOCUMENT_KINDS[d.kind] || "Datei"}: ${d.fileName}`).join("; "))))));
      view().replaceChildren(view().firstChild, table);
      announce(`${apps.length} ${apps.length === 1 ? "Bewerbung" : "Bewerbungen"} geladen.`);
    } catch (err) {
      if (err.status === 401) { session.clear(); updateAccountNav(); }
      view().replaceChildren(view().firstChild, errorBox(err));
    }
  }

  // The inbox (GET /v1/me/inbox, notifications' ListInbox): newest first, unread marked,
  // each item can be marked read (POST /v1/me/inbox/{id}:markRead).
  async function inboxPage() {
    if (!session.token) { show("Postfach", signInNotice("Ihr Postfach zu öffnen")); return focusHeading(); }
    show("Postfach", h("p", {}, "Ihre Nachrichten werden geladen …"));
    focusHeading();
    const list = h("ul", { class: "results inbox" });
    const more = h("p", {});
    function itemView(m) {
      const state = h("span", { class: m.readTime ? "hint" : "status" }, m.readTime ? "gelesen" : "ungelesen");
      const subject = m.subject || "Nachricht";
      const button = m.readTime ? null : h("button", { type: "button", class: "secondary", onclick: async () => {
        button.disabled = true;
        try {
          await api("POST", `/v1/me/inbox/${encodeURIComponent(m.id)}:markRead`, { auth: true, body: {}, headers: { "Idempotency-Key": randomId() } });
          state.className = "hint";
          state.textContent = "gelesen";
          button.remove();
          announce("Die Nachricht ist als gelesen markiert.");
        } catch (err) {
          button.disabled = false;
          const box = errorBox(err);
          li.append(box);
          box.focus();
        }
      } }, "Als gelesen markieren", h("span", { class: "visually-hidden" }, `: ${subject}`));
      const li = h("li", { "data-id": m.id },
        h("h2", {}, subject),
        h("p", { class: "meta-line" }, timeText(m.createTime) ? `Eingegangen am ${timeText(m.createTime)} – ` : "", state),
        h("p", { class: "message-body" }, m.bodyText || ""),
        button ? h("p", {}, button) : null);
      return li;
    }
    async function load(token) {
      const query = new URLSearchParams({ pageSize: "20" });
      if (token) query.set("pageToken", token);
      const data = await api("GET", `/v1/me/inbox?${query.toString()}`, { auth: true }) || {};
      const items = data.items || [];
      list.append(...items.map(itemView));
      more.replaceChildren(data.nextPageToken ? h("button", { type: "button", class: "secondary", onclick: async () => {
        try { await load(data.nextPageToken); announce("Weitere Nachrichten geladen."); } catch (err) { more.replaceChildren(errorBox(err)); }
      } }, "Ältere Nachrichten laden") : "");
      return items.length;
    }
    try {
      const n = await load("");
      if (!n) {
        view().replaceChildren(view().firstChild, h("p", {}, "Ihr Postfach ist leer."));
        return announce("Keine Nachrichten.");
      }
      view().replaceChildren(view().firstChild, list, more);
      announce(`${n} ${n === 1 ? "Nachricht" : "Nachrichten"} geladen.`);
    } catch (err) {
      if (err.status === 401) { session.clear(); updateAccountNav(); }
      view().replaceChildren(view().firstChild, errorBox(err));
    }
  }

  // Bookings (scheduling's REST routes, CONTRACT.md): GET /v1/me/invitations lists the
  // applicant's open invitations with their postings' upcoming selection days, GET
  // /v1/me/bookings their own bookings, GET /v1/selection-days/{id} and …/slots show a day of
  // a posting they applied to, POST /v1/me/bookings books, POST /v1/bookings/{id}:reschedule
  // moves, POST /v1/bookings/{id}:cancel cancels, GET /v1/bookings/{id}/calendar.ics is the
  // calendar entry. A day is chosen from the invitations or opened by its Kennung (the
  // invitation's link #/termine?tag=… or typed in: the fallback), and the portal picks the
  // applicant's invitation to that day's posting itself.
  const berlinWeekdayDate = new Intl.DateTimeFormat("de-DE", {
    timeZone: "Europe/Berlin", weekday: "long", day: "2-digit", month: "2-digit", year: "numeric",
  });
  const berlinClock = new Intl.DateTimeFormat("de-DE", { timeZone: "Europe/Berlin", hour: "2-digit", minute: "2-digit" });
  // "Dienstag, 02.07.2030, 09:00 bis 09:30 Uhr" in Berlin time, whatever the browser's zone.
  function appointmentText(start, end) {
    const s = new Date(start || ""), e = new Date(end || "");
    if (Number.isNaN(s.getTime())) return "";
    const until = Number.isNaN(e.getTime()) ? "" : ` bis ${berlinClock.format(e)}`;
    return `${berlinWeekdayDate.format(s)}, ${berlinClock.format(s)}${until} Uhr (deutsche Zeit)`;
  }
  const MODES = { IN_PERSON: "vor Ort", VIDEO: "per Video" };
  const PARTS = { WRITTEN_TASK: "schriftliche Aufgabe", INTERVIEW: "Auswahlgespräch" };
  // Nachteilsausgleich: severely disabled and equivalent applicants may ask for a barrier-free
  // room and extra time for the written task, so that the selection does not disadvantage them
  // (SGB IX § 164 Abs. 2 and Abs. 4, § 165; seed 000: the written task is worked on "in einer
  // vorgegebenen Zeit"). Scheduling accepts 0 to 240 extra minutes, for a written task only,
  // and only as far as the extended sitting does not reach into another slot of the day
  // (schedule_rules.h AccommodatedEnd); the form offers exactly that much.
  const MAX_EXTRA_MINUTES = 240;
  function extraMinutesRoom(slot, daySlots) {
    if (slot.kind !== "WRITTEN_TASK") return 0;
    const end = new Date(slot.endTime).getTime();
    let room = MAX_EXTRA_MINUTES;
    for (const o of daySlots) {
      if (o.id === slot.id) continue;
      const start = new Date(o.startTime).getTime();
      if (start >= end) room = Math.min(room, Math.floor((start - end) / 60000));
    }
    return Math.max(0, room);
  }
  function accommodationsOf(b) {
    const a = b.accommodations || {};
    return { barrierFreeRoom: !!a.barrierFreeRoom, extraWrittenMinutes: Number(a.extraWrittenMinutes) || 0 };
  }
  function minutesText(n) { return `${n} ${n === 1 ? "Minute" : "Minuten"}`; }
  // Scheduling's refusals a person can act on, in German (its details are English).
  function bookingProblemText(err) {
    const d = (err.problem && err.problem.detail) || "";
    if (/slot is already booked/.test(d)) return "Dieser Termin ist inzwischen vergeben. Bitte wählen Sie einen anderen freien Termin.";
    if (/already holds a slot on that day/.test(d)) return "Sie haben an diesem Auswahltag bereits einen Termin. Wenn Sie einen anderen möchten, verschieben Sie Ihren Termin unter „Gebuchte Termine“.";
    if (/only an INVITED application/.test(d)) return "Für diese Bewerbung liegt (noch) keine Einladung vor. Bitte versuchen Sie es in einigen Minuten erneut.";
    if (/already begun or is past/.test(d)) return "Dieser Termin hat bereits begonnen oder liegt in der Vergangenheit.";
    if (/booked appointment has already begun/.test(d)) return "Ihr Termin hat bereits begonnen; er kann nicht mehr verschoben werden.";
    if (/booking is (already )?cancelled/.test(d)) return "Dieser Termin ist bereits abgesagt.";
    if (/offers no video/.test(d)) return "An diesem Auswahltag ist keine Teilnahme per Video möglich.";
    if (/does not allow self-booking/.test(d)) return "Diesen Termin vergibt die Personalstelle; Sie können ihn hier nicht selbst buchen, verschieben oder absagen. Bitte wenden Sie sich an die Ansprechperson der Stelle.";
    if (/would overlap slot/.test(d)) return "Mit der zusätzlichen Bearbeitungszeit würde die schriftliche Aufgabe in den nächsten Termin des Tages reichen. Bitte wählen Sie weniger Minuten oder einen anderen Termin.";
    if (/would overlap another booking/.test(d)) return "Der gewählte Termin überschneidet sich mit einem anderen gebuchten Termin. Bitte wählen Sie einen anderen freien Termin.";
    if (/barrier-free room was requested/.test(d)) return "Der Raum dieses Auswahltags ist nicht barrierefrei. Bitte wenden Sie sich an die Ansprechperson der Stelle; sie sucht mit Ihnen eine Lösung.";
    if ((err.problem && err.problem.violations || []).some((v) => /extra_written_minutes/.test(v.field || ""))) {
      return `Bitte geben Sie für die zusätzliche Bearbeitungszeit 0 bis ${MAX_EXTRA_MINUTES} Minuten an.`;
    }
    return "";
  }
  function bookingProblem(err) {
    const text = bookingProblemText(err);
    if (!text) return errorBox(err);
    return h("div", { class: "alert", role: "alert", tabindex: "-1" }, h("h2", {}, "Es ist ein Problem aufgetreten"), h("p", {}, text));
  }

  async function bookingsPage(params) {
    if (!session.token) { show("Meine Termine", signInNotice("Ihre Termine zu sehen")); return focusHeading(); }
    const dayId = (params.get("tag") || "").trim();
    const messageSlot = h("div", {});
    const listSlot = h("section", { "aria-labelledby": "gebucht" }, h("h2", { id: "gebucht" }, "Gebuchte Termine"), h("p", {}, "Ihre Termine werden geladen …"));
    const bookSlot = h("section", { "aria-labelledby": "buchen" }, h("h2", { id: "buchen" }, "Termin buchen"), h("p", {}, "Ihre Einladungen werden geladen …"));
    let bookings = [];
    // The applicant's open invitations (GET /v1/me/invitations): per invitation the posting,
    // whether they may book themselves, the posting's upcoming selection days and the booking
    // held. null where the route is not there (an older gateway): then the INVITED
    // applications and the Kennung field stand in, as before.
    let invitations = null;
    let invitationsError = null;
    async function loadInvitations() {
      invitationsError = null;
      try {
        const out = [];
        let token = "";
        do {
          const data = await api("GET", `/v1/me/invitations?pageSize=50${token ? `&pageToken=${encodeURIComponent(token)}` : ""}`, { auth: true }) || {};
          out.push(...(data.invitations || []));
          token = data.nextPageToken || "";
        } while (token && out.length < 500);
        invitations = out;
      } catch (err) {
        if (err.status === 401) { session.clear(); updateAccountNav(); }
        invitations = null;
        if (err.status !== 404 && err.status !== 501) invitationsError = err;
      }
    }
    const invitationOf = (applicationId) => (invitations || []).find((i) => i.applicationId === applicationId) || null;
    const days = new Map();  // selection day id → SelectionDay (or null: not readable)
    const postings = new Map();
    async function dayOf(id) {
      if (!days.has(id)) {
        try { days.set(id, await api("GET", `/v1/selection-days/${encodeURIComponent(id)}`, { auth: true })); } catch (e) { days.set(id, null); }
      }
      return days.get(id);
    }
    async function postingOf(id) {
      if (!postings.has(id)) {
        try { postings.set(id, await api("GET", `/v1/postings/${encodeURIComponent(id)}`)); } catch (e) { postings.set(id, null); }
      }
      return postings.get(id);
    }
    // Every slot of a day (free and taken: an extension must not reach into a taken one
    // either); read again after each change of the page's bookings.
    const daySlots = new Map();
    async function slotsOf(id, fresh) {
      if (fresh || !daySlots.has(id)) {
        const data = await api("GET", `/v1/selection-days/${encodeURIComponent(id)}/slots?pageSize=200`, { auth: true }) || {};
        daySlots.set(id, data.slots || []);
      }
      return daySlots.get(id);
    }
    function say(box) {
      messageSlot.replaceChildren(box);
      box.focus();
    }
    function done(text) {
      say(h("div", { class: "success", role: "status", tabindex: "-1" }, h("p", {}, text)));
      announce(text);
    }

    async function download(b, button) {
      button.disabled = true;
      try {
        const res = await fetch(`/v1/bookings/${encodeURIComponent(b.id)}/calendar.ics`, {
          headers: { Accept: "text/calendar, application/problem+json", Authorization: `Bearer ${session.token}` } });
        if (!res.ok) {
          let p = {};
          try { p = await res.json(); } catch (e) { /* no problem body */ }
          throw new ApiError(res.status, p);
        }
        const blob = new Blob([await res.text()], { type: "text/calendar;charset=utf-8" });
        const url = URL.createObjectURL(blob);
        const day = /^(\d{2})\.(\d{2})\.(\d{4})$/.exec(berlinDate.format(new Date(b.startTime)));
        const a = h("a", { href: url, download: day ? `termin-${day[3]}-${day[2]}-${day[1]}.ics` : "termin.ics", hidden: true });
        document.body.append(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(url), 10000);
        announce("Der Kalendereintrag wird heruntergeladen.");
      } catch (err) {
        say(err instanceof ApiError ? errorBox(err) : errorBox(new ApiError(0, {})));
      } finally {
        button.disabled = false;
      }
    }

    function cancelForm(b, li, opener) {
      const reasonId = `absagegrund-${b.id}`;
      const form = h("form", { class: "inline-form", onsubmit: async (e) => {
        e.preventDefault();
        const submit = form.querySelector("button[type=submit]");
        submit.disabled = true;
        const requestId = randomId();
        try {
          await api("POST", `/v1/bookings/${encodeURIComponent(b.id)}:cancel`, { auth: true,
            body: { requestId, reason: form.elements[reasonId].value.trim() }, headers: { "Idempotency-Key": requestId } });
          await reload();
          done("Der Termin ist abgesagt. Sie können einen anderen freien Termin buchen.");
        } catch (err) {
          submit.disabled = false;
          say(bookingProblem(err));
        }
      } },
        h("div", { class: "field" },
          h("label", { for: reasonId }, "Grund der Absage (freiwillig)"),
          h("textarea", { id: reasonId, name: reasonId, rows: 2, maxlength: 500 })),
        h("div", { class: "actions" },
          h("button", { type: "submit" }, "Absage verbindlich senden"),
          h("button", { type: "button", class: "secondary", onclick: () => { form.remove(); opener.hidden = false; opener.focus(); } }, "Nicht absagen")));
      return form;
    }

    // "Termin verschieben": the other free slots of the booking's day (RescheduleBooking keeps
    // the booking, its accommodations and the calendar entry's UID; SEQUENCE goes up).
    async function rescheduleForm(b, opener) {
      const wrap = h("div", { class: "inline-form" });
      const errorSlot = h("div", {});
      const requestIds = new Map();  // per chosen slot: a retry of the same choice is no second move
      const acc = accommodationsOf(b);
      const close = () => { wrap.remove(); opener.hidden = false; opener.focus(); };
      const fail = (box) => { errorSlot.replaceChildren(box); box.focus(); };
      async function render(box) {
        let all;
        try {
          all = await slotsOf(b.selectionDayId, true);
        } catch (err) {
          wrap.replaceChildren(errorBox(err), h("p", { class: "actions" }, h("button", { type: "button", class: "secondary", onclick: close }, "Schließen")));
          return wrap.firstChild.focus();
        }
        const now = Date.now();
        // A slot the extended written task would not fit into is not offered (the server
        // would refuse it).
        const free = all.filter((s) => !s.booked && s.id !== b.slotId && new Date(s.startTime).getTime() > now &&
          (s.kind !== "WRITTEN_TASK" || acc.extraWrittenMinutes <= extraMinutesRoom(s, all)));
        const groupName = `neu-${b.id}`;
        const legendId = `verschieben-legende-${b.id}`;
        const cancelButton = h("button", { type: "button", class: "secondary", onclick: close }, "Nicht verschieben");
        if (!free.length) {
          wrap.replaceChildren(errorSlot, h("p", { id: legendId, tabindex: "-1" }, "An diesem Auswahltag ist kein anderer Termin frei. Bitte wenden Sie sich an die Ansprechperson der Stelle, wenn Sie Ihren Termin nicht wahrnehmen können."),
            h("p", { class: "actions" }, cancelButton));
          if (box) return fail(box);
          return document.getElementById(legendId).focus();
        }
        const form = h("form", { novalidate: true, onsubmit: async (e) => {
          e.preventDefault();
          const chosen = form.querySelector(`input[name="${groupName}"]:checked`);
          if (!chosen) {
            const first = form.querySelector(`input[name="${groupName}"]`);
            return fail(h("div", { class: "alert", role: "alert", tabindex: "-1" }, h("h2", {}, "Bitte wählen Sie einen Termin"),
              h("p", {}, h("a", { href: `#${first.id}`, onclick: (ev) => { ev.preventDefault(); first.focus(); } }, "Es fehlt die Auswahl des neuen Termins."))));
          }
          if (!requestIds.has(chosen.value)) requestIds.set(chosen.value, randomId());
          const requestId = requestIds.get(chosen.value);
          const submit = form.querySelector("button[type=submit]");
          submit.disabled = true;
          submit.textContent = "Termin wird verschoben …";
          try {
            const moved = await api("POST", `/v1/bookings/${encodeURIComponent(b.id)}:reschedule`, { auth: true,
              headers: { "Idempotency-Key": requestId }, body: { requestId, slotId: chosen.value } });
            await reload();
            done(`Ihr Termin ist verschoben: ${appointmentText(moved.startTime, moved.endTime)}. Der Kalendereintrag ist aktualisiert; bitte laden Sie ihn erneut herunter. Eine Bestätigung erhalten Sie in Ihr Postfach.`);
          } catch (err) {
            if (err.status === 401) { session.clear(); updateAccountNav(); }
            const text = bookingProblemText(err);
            const alert = text
              ? h("div", { class: "alert", role: "alert", tabindex: "-1" }, h("h2", {}, "Der Termin wurde nicht verschoben"), h("p", {}, text))
              : errorBox(err);
            // Taken meanwhile: offer what is free now, the message stays above it.
            if (/slot is already booked|would overlap/.test((err.problem && err.problem.detail) || "")) return render(alert);
            submit.disabled = false;
            submit.textContent = "Auf diesen Termin verschieben";
            fail(alert);
          }
        } },
          h("fieldset", {},
            h("legend", { id: legendId }, `Neuer Termin am ${berlinWeekdayDate.format(new Date(free[0].startTime))}`),
            h("p", { class: "hint" }, `Ihr bisheriger Termin: ${appointmentText(b.startTime, b.endTime)}. Er wird erst frei, wenn der neue gebucht ist.`),
            free.map((s, i) => {
              const id = `verschieben-${b.id}-${i}`;
              const end = s.kind === "WRITTEN_TASK" && acc.extraWrittenMinutes
                ? new Date(new Date(s.endTime).getTime() + acc.extraWrittenMinutes * 60000).toISOString() : s.endTime;
              return h("div", { class: "check" },
                h("input", { type: "radio", id, name: groupName, value: s.id }),
                h("label", { for: id }, appointmentText(s.startTime, end), PARTS[s.kind] ? ` – ${PARTS[s.kind]}` : ""));
            })),
          h("div", { class: "actions" }, h("button", { type: "submit" }, "Auf diesen Termin verschieben"), cancelButton));
        wrap.replaceChildren(errorSlot, form);
        if (box) return fail(box);
        form.querySelector("input[type=radio]").focus();
      }
      return { wrap, render };
    }

    async function bookingView(b) {
      const day = await dayOf(b.selectionDayId);
      const posting = b.postingId ? await postingOf(b.postingId) : null;
      let slot = null;
      try { slot = (await slotsOf(b.selectionDayId)).find((s) => s.id === b.slotId) || null; } catch (e) { /* shown without the part */ }
      const acc = accommodationsOf(b);
      const when = appointmentText(b.startTime, b.endTime) || "Termin";
      const place = day ? [day.location, day.room].filter(Boolean).join(", ") : "";
      const video = b.mode === "VIDEO" && day && day.videoUrl ? day.videoUrl : "";
      const facts = [
        ["Stelle", posting ? `${posting.title || "Stelle"}${posting.kennziffer ? ` (Kennziffer ${posting.kennziffer})` : ""}` : ""],
        ["Teil des Auswahltags", slot && PARTS[slot.kind] ? PARTS[slot.kind] : ""],
        ["Teilnahme", MODES[b.mode] || ""],
        ["Ort", b.mode === "VIDEO" ? "" : place],
        ["Barrierefreier Raum", acc.barrierFreeRoom ? "ja, von Ihnen beantragt" : day && day.barrierFreeRoom ? "ja" : ""],
        ["Zusätzliche Bearbeitungszeit", acc.extraWrittenMinutes
          ? `${minutesText(acc.extraWrittenMinutes)} für die schriftliche Aufgabe (in der Uhrzeit oben schon eingerechnet)` : ""],
      ].filter(([, v]) => v);
      const calendar = h("button", { type: "button", class: "secondary", onclick: () => download(b, calendar) },
        "Kalendereintrag herunterladen (.ics)", h("span", { class: "visually-hidden" }, `: ${when}`));
      // A day HR books alone, or an invitation HR books for (selfBooking false): the applicant
      // neither moves nor cancels it here (the server would refuse, PERMISSION_DENIED); the
      // list says whom to ask instead. Where HR changes that while a form is open, the
      // refusal is shown in German (bookingProblemText).
      const invitation = invitationOf(b.applicationId);
      const hrOnly = !!(day && day.hrBooksOnly) || !!(invitation && invitation.selfBooking === false);
      const reschedule = hrOnly ? null : h("button", { type: "button", class: "secondary", onclick: async () => {
        reschedule.hidden = true;
        messageSlot.replaceChildren();  // an earlier confirmation no longer applies
        const { wrap, render } = await rescheduleForm(b, reschedule);
        li.append(wrap);
        await render();
      } }, "Termin verschieben", h("span", { class: "visually-hidden" }, `: ${when}`));
      const cancel = hrOnly ? null : h("button", { type: "button", class: "secondary", onclick: () => {
        cancel.hidden = true;
        messageSlot.replaceChildren();
        const form = cancelForm(b, li, cancel);
        li.append(form);
        form.querySelector("textarea").focus();
      } }, "Termin absagen", h("span", { class: "visually-hidden" }, `: ${when}`));
      const li = h("li", { "data-id": b.id },
        h("h3", {}, when),
        h("dl", { class: "facts" }, facts.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]),
          video ? [h("dt", {}, "Videokonferenz"), h("dd", {}, h("a", { href: video, rel: "noopener" }, video))] : null),
        hrOnly ? h("p", { class: "hint" }, "Diesen Termin vergibt die Personalstelle. Wenn Sie ihn verschieben oder absagen müssen, wenden Sie sich bitte an die Ansprechperson der Stelle.") : null,
        h("p", { class: "actions" }, calendar, reschedule ? [" ", reschedule] : null, cancel ? [" ", cancel] : null));
      return li;
    }

    async function loadBookings() {
      try {
        const data = await api("GET", "/v1/me/bookings?pageSize=50", { auth: true }) || {};
        bookings = (data.bookings || []).filter((b) => b.status !== "CANCELLED");
        const items = await Promise.all(bookings.map(bookingView));
        listSlot.replaceChildren(h("h2", { id: "gebucht" }, "Gebuchte Termine"), items.length
          ? h("ul", { class: "results bookings" }, items)
          : h("p", {}, "Sie haben keine Termine gebucht."));
      } catch (err) {
        if (err.status === 401) { session.clear(); updateAccountNav(); }
        listSlot.replaceChildren(h("h2", { id: "gebucht" }, "Gebuchte Termine"), errorBox(err));
      }
    }

    // The form that opens a selection day by its Kennung.
    function dayForm(invited) {
      return h("form", { class: "inline-form", onsubmit: (e) => {
        e.preventDefault();
        const v = e.target.elements.auswahltag.value.trim();
        if (!v) {
          const input = document.getElementById("auswahltag");
          input.setAttribute("aria-invalid", "true");
          const msg = document.getElementById("auswahltag-error");
          msg.textContent = "Bitte geben Sie die Kennung des Auswahltags aus Ihrer Einladung an.";
          msg.hidden = false;
          return input.focus();
        }
        location.hash = `#/termine?tag=${encodeURIComponent(v)}`;
      } },
        invited.length ? h("p", {}, "Sie sind zu einem Auswahlverfahren eingeladen: ",
          invited.map((a) => a.kennziffer ? `Kennziffer ${a.kennziffer}` : "eine Stelle").join(", "), ".") : null,
        h("div", { class: "field" },
          h("label", { for: "auswahltag" }, "Kennung des Auswahltags"),
          h("span", { class: "hint", id: "auswahltag-hint" }, "Die Kennung steht in Ihrer Einladung; über den Link der Einladung ist sie schon eingetragen."),
          h("span", { class: "field-error", id: "auswahltag-error", hidden: true }),
          h("input", { type: "text", id: "auswahltag", name: "auswahltag", value: dayId, autocomplete: "off", spellcheck: "false",
            "aria-describedby": "auswahltag-hint auswahltag-error" })),
        h("div", { class: "actions" }, h("button", { type: "submit" }, "Freie Termine anzeigen")));
    }

    // One invitation: its posting, the booking held and the selection days to choose from
    // (each a link to #/termine?tag=<id>, which offers that day's free slots).
    function invitationView(inv) {
      const title = `${inv.postingTitle || "Stelle"}${inv.kennziffer ? ` (Kennziffer ${inv.kennziffer})` : ""}`;
      const held = inv.booking && inv.booking.status !== "CANCELLED" ? inv.booking : null;
      const upcoming = (inv.selectionDays || []);
      const dayItem = (d) => {
        const start = new Date(d.startTime || "");
        const when = Number.isNaN(start.getTime()) ? isoDateText(d.date) : appointmentText(d.startTime, d.endTime);
        const free = Number(d.freeSlots) || 0;
        const facts = [
          [d.location, d.room].filter(Boolean).join(", "),
          d.barrierFreeRoom ? "barrierefreier Raum" : "",
          d.videoAvailable ? "Teilnahme auch per Video möglich" : "",
        ].filter(Boolean);
        let action;
        // One booking per applicant and day (scheduling's rule); the list above has them all.
        const heldHere = bookings.find((b) => b.applicationId === inv.applicationId && b.selectionDayId === d.id) ||
          (held && held.selectionDayId === d.id ? held : null);
        if (heldHere) action = h("p", {}, `Hier haben Sie Ihren Termin: ${appointmentText(heldHere.startTime, heldHere.endTime)} (siehe „Gebuchte Termine“).`);
        else if (d.hrBooksOnly) action = h("p", {}, "Die Termine dieses Tages vergibt die Personalstelle.");
        else if (!free) action = h("p", {}, "An diesem Tag ist kein Termin mehr frei.");
        else {
          action = h("p", {}, h("a", { href: `#/termine?tag=${encodeURIComponent(d.id)}`, class: "button" },
            `Freie Termine am ${isoDateText(d.date)} anzeigen`),
          ` (${free} ${free === 1 ? "freier Termin" : "freie Termine"})`);
        }
        return h("li", { "data-day": d.id }, h("h4", {}, when), facts.length ? h("p", { class: "meta-line" }, facts.join(" – ")) : null, action);
      };
      return h("li", { "data-application": inv.applicationId },
        h("h3", {}, title),
        inv.selfBooking === false
          ? h("p", { class: "notice" }, bookings.some((b) => b.applicationId === inv.applicationId) || held
            ? "Ihre Termine zu dieser Stelle vergibt die Personalstelle; die gebuchten sehen Sie oben. Für eine Änderung wenden Sie sich bitte an die Ansprechperson der Stelle."
            : "Ihren Termin vergibt die Personalstelle. Sie erhalten ihn mit einer Nachricht in Ihr Postfach.")
          : upcoming.length
            ? [h("p", {}, held ? "Auswahltage dieser Stelle:" : "Bitte wählen Sie einen Auswahltag:"), h("ul", { class: "days" }, upcoming.map(dayItem))]
            : h("p", {}, "Für diese Stelle ist noch kein Auswahltag geplant. Sobald es einen gibt, erscheint er hier."));
    }

    async function loadOffer() {
      const head = h("h2", { id: "buchen", tabindex: "-1" }, "Termin buchen");
      let invited;
      if (invitations) {
        invited = invitations.map((i) => ({ id: i.applicationId, postingId: i.postingId, kennziffer: i.kennziffer, invitation: i }));
      } else {
        try {
          const data = await api("GET", "/v1/me/applications?pageSize=50", { auth: true }) || {};
          invited = (data.applications || []).filter((a) => a.status === "INVITED");
        } catch (err) {
          return bookSlot.replaceChildren(head, errorBox(err));
        }
      }
      if (!dayId) {
        if (invitations) {
          return bookSlot.replaceChildren(h("h2", { id: "buchen", tabindex: "-1" }, "Ihre Einladungen"),
            invitations.length
              ? h("ul", { class: "results invitations" }, invitations.map(invitationView))
              : h("p", {}, "Zurzeit liegt keine Einladung zu einem Auswahlverfahren vor. Sobald Sie eingeladen sind, können Sie hier einen Termin wählen."),
            h("h3", {}, "Auswahltag mit Kennung öffnen"),
            h("p", {}, "Wenn Ihnen die Kennung eines Auswahltags mitgeteilt wurde, der oben nicht aufgeführt ist, können Sie ihn auch damit öffnen."),
            dayForm([]));
        }
        return bookSlot.replaceChildren(head, invitationsError ? errorBox(invitationsError) : "", invited.length ? ""
          : h("p", {}, "Zurzeit liegt keine Einladung zu einem Auswahlverfahren vor. Sobald Sie eingeladen sind, können Sie hier einen Termin wählen."),
        dayForm(invited));
      }
      let day, slots, allSlots;
      try {
        day = await api("GET", `/v1/selection-days/${encodeURIComponent(dayId)}`, { auth: true });
        allSlots = await slotsOf(dayId, true);
        slots = allSlots.filter((s) => !s.booked && new Date(s.startTime) > new Date());
      } catch (err) {
        const box = err.status === 404
          ? h("div", { class: "alert", role: "alert", tabindex: "-1" }, h("h2", {}, "Auswahltag nicht gefunden"),
            h("p", {}, "Zu dieser Kennung gibt es keinen Auswahltag, zu dem Sie eingeladen sind. Bitte prüfen Sie die Kennung in Ihrer Einladung."))
          : errorBox(err);
        return bookSlot.replaceChildren(head, box, dayForm(invited),
          invitations ? h("p", {}, h("a", { href: "#/termine" }, "Zurück zu Ihren Einladungen")) : null);
      }
      days.set(day.id, day);
      days.set(dayId, day);
      const application = invited.find((a) => a.postingId === day.postingId);
      const posting = await postingOf(day.postingId);
      const about = h("p", {}, `Auswahltag ${isoDateText(day.date)}`,
        posting ? ` zur Stelle „${posting.title}“${posting.kennziffer ? ` (Kennziffer ${posting.kennziffer})` : ""}` : "",
        day.location ? ` – ${[day.location, day.room].filter(Boolean).join(", ")}` : "",
        day.barrierFreeRoom ? " – der Raum ist barrierefrei" : "", ".");
      const back = invitations ? h("p", {}, h("a", { href: "#/termine" }, "Zurück zu Ihren Einladungen")) : null;
      if (!application) {
        return bookSlot.replaceChildren(head, about, h("p", { class: "notice" },
          "Für diesen Auswahltag liegt keine Einladung zu einer Ihrer Bewerbungen vor. Sobald Sie eingeladen sind, können Sie hier einen Termin wählen."), back);
      }
      if (application.invitation && application.invitation.selfBooking === false) {
        return bookSlot.replaceChildren(head, about, h("p", { class: "notice" },
          "Ihren Termin vergibt die Personalstelle. Sie erhalten ihn mit einer Nachricht in Ihr Postfach."), back);
      }
      if (day.hrBooksOnly) {
        return bookSlot.replaceChildren(head, about, h("p", { class: "notice" },
          "Die Termine dieses Auswahltags vergibt die Personalstelle. Sie erhalten Ihren Termin mit einer Nachricht in Ihr Postfach."), back);
      }
      const held = bookings.find((b) => b.applicationId === application.id && b.selectionDayId === day.id);
      if (held) {
        return bookSlot.replaceChildren(head, about, h("p", {},
          `Sie haben an diesem Auswahltag bereits einen Termin: ${appointmentText(held.startTime, held.endTime)}. Wenn Sie lieber einen anderen freien Termin dieses Tages möchten, wählen Sie bei Ihrem Termin oben „Termin verschieben“.`), back);
      }
      if (!slots.length) {
        return bookSlot.replaceChildren(head, about, h("p", {}, "An diesem Auswahltag ist kein Termin mehr frei. Bitte wenden Sie sich an die Ansprechperson der Stelle."), back);
      }
      const requestId = randomId();  // one per filled-in form: a retry is not a second booking
      const written = slots.some((s) => s.kind === "WRITTEN_TASK");
      const chosenSlot = () => {
        const c = form.querySelector("input[name=termin]:checked");
        return c ? slots.find((s) => s.id === c.value) : null;
      };
      // What the extra time may be for the slot chosen (the hint follows the choice).
      function extraHint() {
        const hint = document.getElementById("mehrzeit-hint");
        if (!hint) return;
        const s = chosenSlot();
        const firstWritten = slots.find((x) => x.kind === "WRITTEN_TASK");
        const room = extraMinutesRoom(s && s.kind === "WRITTEN_TASK" ? s : firstWritten, allSlots);
        hint.textContent = s && s.kind !== "WRITTEN_TASK"
          ? "Zusätzliche Bearbeitungszeit gibt es nur für die schriftliche Aufgabe; der gewählte Termin ist ein Auswahlgespräch."
          : `In Minuten, für die schriftliche Aufgabe: höchstens ${minutesText(room)}, weil danach der nächste Termin des Tages beginnt. Das Ende Ihres Termins verschiebt sich entsprechend.`;
      }
      function markExtra(message) {
        const input = document.getElementById("mehrzeit");
        const msg = document.getElementById("mehrzeit-error");
        input.setAttribute("aria-invalid", "true");
        msg.textContent = message;
        msg.hidden = false;
        say(h("div", { class: "alert", role: "alert", tabindex: "-1" }, h("h2", {}, "Bitte prüfen Sie die zusätzliche Bearbeitungszeit"),
          h("p", {}, h("a", { href: "#mehrzeit", onclick: (ev) => { ev.preventDefault(); input.focus(); } }, message))));
      }
      const form = h("form", { novalidate: true, onsubmit: async (e) => {
        e.preventDefault();
        const el = e.target.elements;
        const chosen = form.querySelector("input[name=termin]:checked");
        if (!chosen) {
          return say(h("div", { class: "alert", role: "alert", tabindex: "-1" }, h("h2", {}, "Bitte wählen Sie einen Termin"),
            h("p", {}, h("a", { href: "#termin-0", onclick: (ev) => { ev.preventDefault(); document.getElementById("termin-0").focus(); } }, "Es fehlt die Auswahl eines freien Termins."))));
        }
        let extra = 0;
        if (el.mehrzeit) {
          el.mehrzeit.removeAttribute("aria-invalid");
          document.getElementById("mehrzeit-error").hidden = true;
          const text = el.mehrzeit.value.trim();
          const slot = chosenSlot();
          if (text && !/^\d+$/.test(text)) return markExtra("Bitte geben Sie die zusätzliche Bearbeitungszeit als ganze Zahl von Minuten an.");
          extra = text ? Number(text) : 0;
          if (extra > 0 && slot.kind !== "WRITTEN_TASK") {
            return markExtra("Zusätzliche Bearbeitungszeit gibt es nur für die schriftliche Aufgabe. Bitte wählen Sie den Termin der schriftlichen Aufgabe oder lassen Sie das Feld leer.");
          }
          const room = extraMinutesRoom(slot, allSlots);
          if (extra > room) return markExtra(`Bei diesem Termin sind höchstens ${minutesText(room)} zusätzliche Bearbeitungszeit möglich.`);
        }
        const mode = el.modus ? el.modus.value : "IN_PERSON";
        const button = form.querySelector("button[type=submit]");
        button.disabled = true;
        button.textContent = "Termin wird gebucht …";
        try {
          const b = await api("POST", "/v1/me/bookings", { auth: true, headers: { "Idempotency-Key": requestId }, body: {
            requestId, slotId: chosen.value, applicationId: application.id, mode,
            accommodations: { barrierFreeRoom: !!(el.barrierefrei && el.barrierefrei.checked), extraWrittenMinutes: extra } } });
          await reload();
          const acc = accommodationsOf(b);
          done(`Ihr Termin ist gebucht: ${appointmentText(b.startTime, b.endTime)}.${acc.extraWrittenMinutes ? ` Darin sind ${minutesText(acc.extraWrittenMinutes)} zusätzliche Bearbeitungszeit eingerechnet.` : ""} Eine Bestätigung erhalten Sie in Ihr Postfach.`);
        } catch (err) {
          button.disabled = false;
          button.textContent = "Termin verbindlich buchen";
          if (err.status === 401) { session.clear(); updateAccountNav(); }
          say(bookingProblem(err));
        }
      } },
        h("fieldset", { onchange: extraHint },
          h("legend", {}, `Freie Termine am ${slots[0] ? berlinWeekdayDate.format(new Date(slots[0].startTime)) : isoDateText(day.date)}`),
          slots.map((s, i) => h("div", { class: "check" },
            h("input", { type: "radio", id: `termin-${i}`, name: "termin", value: s.id, required: true }),
            h("label", { for: `termin-${i}` }, appointmentText(s.startTime, s.endTime), PARTS[s.kind] ? ` – ${PARTS[s.kind]}` : "")))),
        day.videoAvailable ? h("fieldset", {}, h("legend", {}, "Wie nehmen Sie teil?"),
          h("div", { class: "check" }, h("input", { type: "radio", id: "modus-vor-ort", name: "modus", value: "IN_PERSON", checked: true }), h("label", { for: "modus-vor-ort" }, "Vor Ort")),
          h("div", { class: "check" }, h("input", { type: "radio", id: "modus-video", name: "modus", value: "VIDEO" }), h("label", { for: "modus-video" }, "Per Video"))) : null,
        h("fieldset", { "aria-describedby": "ausgleich-hinweis" },
          h("legend", {}, "Nachteilsausgleich (freiwillig)"),
          h("p", { id: "ausgleich-hinweis", class: "hint" },
            "Wenn Sie schwerbehindert oder schwerbehinderten Menschen gleichgestellt sind, können Sie hier beantragen, was Sie für gleiche Chancen im Auswahlverfahren brauchen. Die Personalstelle richtet Ihren Termin danach ein. Die Angaben sind freiwillig."),
          day.barrierFreeRoom ? h("div", { class: "check" },
            h("input", { type: "checkbox", id: "barrierefrei", name: "barrierefrei" }),
            h("label", { for: "barrierefrei" }, "Ich benötige einen barrierefreien Raum."))
            : h("p", {}, "Der Raum dieses Auswahltags ist nicht als barrierefrei ausgewiesen. Wenn Sie einen barrierefreien Raum benötigen, wenden Sie sich bitte vor der Buchung an die Ansprechperson der Stelle."),
          written ? h("div", { class: "field" },
            h("label", { for: "mehrzeit" }, "Zusätzliche Bearbeitungszeit für die schriftliche Aufgabe (Minuten)"),
            h("span", { class: "hint", id: "mehrzeit-hint" }),
            h("span", { class: "field-error", id: "mehrzeit-error", hidden: true }),
            h("input", { type: "text", id: "mehrzeit", name: "mehrzeit", inputmode: "numeric", autocomplete: "off",
              "aria-describedby": "mehrzeit-hint mehrzeit-error", class: "short" })) : null),
        h("div", { class: "actions" }, h("button", { type: "submit" }, "Termin verbindlich buchen")));
      bookSlot.replaceChildren(head, about, form, back);
      extraHint();
    }

    async function reload() {
      await loadInvitations();
      await loadBookings();
      await loadOffer();
    }
    show("Meine Termine", messageSlot, listSlot, bookSlot);
    focusHeading();
    const cameByLink = focusOnRender;
    await reload();
    // A day chosen from the list of invitations (or an invitation's link): the focus goes on to
    // its free slots' section, not back to the top of the page.
    if (dayId && cameByLink && document.activeElement && document.activeElement.id === "seitentitel") {
      const buchen = document.getElementById("buchen");
      if (buchen) buchen.focus();
    }
    announce(bookings.length ? `${bookings.length} ${bookings.length === 1 ? "Termin" : "Termine"} gebucht.` : "Keine Termine gebucht.");
  }

  // --- sign-in (local stack only) ------------------------------------------------------------
  function signInPage(params) {
    const errorSlot = h("div", {});
    const form = h("form", { onsubmit: async (e) => {
      e.preventDefault();
      const sub = e.target.elements.kennung.value.trim();
      if (!sub) {
        const box = h("div", { class: "alert", role: "alert", tabindex: "-1" }, h("p", {}, "Bitte geben Sie eine Kennung ein."));
        errorSlot.replaceChildren(box);
        document.getElementById("kennung").setAttribute("aria-invalid", "true");
        return box.focus();
      }
      try {
        const t = await api("POST", "/v1/dev/sign-in", { body: { sub, tenant_id: TENANT_OF_APPLICANTS } });
        session.set(t.access_token, sub);
        updateAccountNav();
        announce("Sie sind angemeldet.");
        const next = params.get("weiter");
        location.hash = next && next.startsWith("#/") ? next : "#/bewerbungen";
      } catch (err) {
        if (err.status === 404) {
          errorSlot.replaceChildren(h("div", { class: "alert", role: "alert", tabindex: "-1" },
            h("h2", {}, "Anmeldung nicht verfügbar"),
            h("p", {}, "Die Anmeldung ist in dieser Umgebung nicht verfügbar. Bitte melden Sie sich über das Servicekonto Ihres Landes an.")));
        } else {
          errorSlot.replaceChildren(errorBox(err, { sub: "kennung" }));
        }
        errorSlot.firstChild.focus();
      }
    } },
      h("div", { class: "field" },
        h("label", { for: "kennung" }, "Kennung"),
        h("span", { class: "hint", id: "kennung-hint" }, "Eine beliebige Kennung ohne Leerzeichen, z. B. erika.mustermann"),
        h("input", { type: "text", id: "kennung", name: "kennung", autocomplete: "username", "aria-describedby": "kennung-hint", spellcheck: "false" })),
      h("div", { class: "actions" }, h("button", { type: "submit" }, "Anmelden")));
    show("Anmelden",
      h("p", { class: "notice" }, "Dies ist die Anmeldung der lokalen Entwicklungsumgebung. Im Betrieb melden Sie sich über ein Nutzerkonto (z. B. das Servicekonto Ihres Landes) an."),
      errorSlot, form);
    focusHeading();
  }

  function textPage(title, ...paragraphs) {
    show(title, paragraphs.map((t) => h("p", {}, t)));
    focusHeading();
  }

  // --- routing ------------------------------------------------------------------------------
  function setCurrentNav(name) {
    for (const a of document.querySelectorAll("[data-nav]")) {
      if (a.dataset.nav === name) a.setAttribute("aria-current", "page");
      else a.removeAttribute("aria-current");
    }
  }
  function route() {
    const hash = location.hash.replace(/^#/, "") || "/";
    const [path, query] = hash.split("?");
    const params = new URLSearchParams(query || "");
    const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
    if (parts[0] !== "stelle") setJsonLd(null);
    if (parts.length === 0) { setCurrentNav("suche"); return searchPage(params); }
    switch (parts[0]) {
      case "stelle":
        setCurrentNav("");
        return parts[2] === "bewerben" ? applyPage(parts[1]) : postingPage(parts[1]);
      case "bewerbungen": setCurrentNav("bewerbungen"); return applicationsPage();
      case "postfach": setCurrentNav("postfach"); return inboxPage();
      case "termine": setCurrentNav("termine"); return bookingsPage(params);
      case "anmelden": setCurrentNav("anmelden"); return signInPage(params);
      case "datenschutz":
        setCurrentNav("");
        return textPage("Datenschutzhinweise",
          "Verantwortlich für die Verarbeitung Ihrer Bewerbungsdaten ist der ausschreibende Arbeitgeber. Wir verarbeiten Ihre Angaben nur zur Durchführung des Auswahlverfahrens.",
          "Ihre Daten werden sechs Monate nach Abschluss des Verfahrens gelöscht. Sie haben das Recht auf Auskunft, Berichtigung, Löschung und Einschränkung der Verarbeitung sowie das Recht auf Beschwerde bei der Aufsichtsbehörde.");
      case "barrierefreiheit":
        setCurrentNav("");
        return textPage("Erklärung zur Barrierefreiheit",
          "Dieses Portal soll die Anforderungen der BITV 2.0 und der WCAG 2.1 auf Stufe AA erfüllen. Es wird bei jeder Änderung automatisiert geprüft.",
          "Wenn Ihnen Barrieren auffallen, teilen Sie uns dies bitte über die Ansprechpersonen der jeweiligen Stelle mit.");
      default:
        setCurrentNav("");
        return textPage("Seite nicht gefunden", "Diese Seite gibt es nicht. Über die Navigation gelangen Sie zur Stellensuche.");
    }
  }

  window.addEventListener("hashchange", () => { focusOnRender = true; route(); });
  document.addEventListener("DOMContentLoaded", () => {
    updateAccountNav();
    route();
  });
})();
