/*
 * The quote edit page, enhanced: "Add a line" adds a row here instead of posting the page back,
 * and line amounts, totals and the approval rules that would fire are shown as the
 * representative types. Without this file the page still works (the button posts and the
 * server adds the row); with it, the server's calculation on save stays the only truth.
 *
 * Money is exact: every amount is a BigInt of minor units (or of 10^-n for quantities and
 * prices), rounded half-up per line like quotes/money.py, totals summed from rounded lines.
 * Percentages of the rules are quantized to 0.01 half-even, like Python's Decimal.quantize.
 */
(function () {
  "use strict";

  var form = document.getElementById("quote-edit");
  if (!form || typeof BigInt === "undefined") { return; }
  var config = JSON.parse(form.getAttribute("data-preview"));
  var places = config.places;
  var prefix = "lines";
  var rowsBody = document.getElementById("line-rows");
  var template = document.getElementById("line-template");
  var totalForms = form.querySelector("#id_" + prefix + "-TOTAL_FORMS");
  var frequencySelect = form.querySelector("#id_billing_frequency");
  var termInput = form.querySelector("#id_term_months");

  // --- exact decimals: {v: BigInt, s: number of decimal places} ---------------------------

  var TEN = BigInt(10);
  function pow10(n) { var r = BigInt(1); for (var i = 0; i < n; i++) { r *= TEN; } return r; }

  function parse(text) {
    text = (text || "").trim();
    var m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(text);
    if (!m || (m[2] === "" && (m[3] === undefined || m[3] === ""))) { return null; }
    var frac = m[3] || "";
    var v = BigInt((m[2] || "0") + frac);
    return { v: m[1] === "-" ? -v : v, s: frac.length };
  }
  function mul(a, b) { return { v: a.v * b.v, s: a.s + b.s }; }
  function scaleTo(a, s) { return s >= a.s ? { v: a.v * pow10(s - a.s), s: s } : null; }

  // n / d rounded to an integer, half-up (away from zero) or half-even.
  function divRound(n, d, mode) {
    if (d < 0) { n = -n; d = -d; }
    var negative = n < 0;
    var a = negative ? -n : n;
    var q = a / d, r = a % d, twice = r * BigInt(2);
    if (twice > d || (twice === d && (mode === "up" || q % BigInt(2) === BigInt(1)))) {
      q += BigInt(1);
    }
    return negative ? -q : q;
  }
  function quantize(a, s, mode) {
    if (a.s <= s) { return scaleTo(a, s); }
    return { v: divRound(a.v, pow10(a.s - s), mode), s: s };
  }
  function cmp(a, b) {
    var s = Math.max(a.s, b.s);
    var x = scaleTo(a, s).v, y = scaleTo(b, s).v;
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  // (a / b) * 100, quantized to 0.01 half-even; b must not be zero.
  function percentOf(a, b) {
    var s = Math.max(a.s, b.s);
    var x = scaleTo(a, s).v, y = scaleTo(b, s).v;
    return { v: divRound(x * BigInt(10000), y, "even"), s: 2 };
  }
  function format(a) {
    var negative = a.v < 0;
    var digits = (negative ? -a.v : a.v).toString();
    while (digits.length <= a.s) { digits = "0" + digits; }
    var whole = digits.slice(0, digits.length - a.s), frac = digits.slice(digits.length - a.s);
    whole = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return (negative ? "-" : "") + whole + (a.s ? "." + frac : "");
  }
  function money(a) { return format(a) + " " + config.currency; }
  var ZERO = { v: BigInt(0), s: places };
  var HUNDRED = { v: BigInt(100), s: 0 };

  // --- rows ----------------------------------------------------------------------------------

  // Only what changed is written: a recalculation on blur must not move the button being
  // clicked (a click whose press and release land on different places is no click).
  function setText(el, text) { if (el.textContent !== text) { el.textContent = text; } }
  var lastRules = null;

  function field(row, name) { return row.querySelector("[name$='-" + name + "']"); }
  function frequency() { return frequencySelect ? frequencySelect.value : ""; }

  function chosen(row) {
    var select = field(row, "product");
    return select && select.selectedIndex > 0 ? select.options[select.selectedIndex] : null;
  }
  function listPrice(option) {
    if (!option) { return null; }
    var prices = JSON.parse(option.getAttribute("data-prices") || "{}");
    return prices[frequency()] !== undefined ? parse(prices[frequency()]) : null;
  }

  function unitWord(unit, freq) {
    var period = { monthly: "month", annually: "year" }[freq];
    return period ? unit + " / " + period : (freq === "one_time" ? unit + " (one-time)" : unit);
  }

  // The picker says each product's price in this frequency; one without is not offered.
  function relabel() {
    var freq = frequency();
    form.querySelectorAll("select[name$='-product'] option[data-prices]").forEach(function (o) {
      var prices = JSON.parse(o.getAttribute("data-prices"));
      var words = { monthly: "monthly", annually: "annual", one_time: "one-time" }[freq] || "";
      if (prices[freq] !== undefined) {
        o.textContent = o.getAttribute("data-label") + " — " +
          money(quantize(parse(prices[freq]), places, "up")) + " / " +
          unitWord(o.getAttribute("data-unit"), freq);
        o.disabled = false;
      } else {
        o.textContent = o.getAttribute("data-label") + " — no " + words + " price in " +
          config.currency;
        o.disabled = !o.selected;
      }
    });
  }

  function warn(row, text) {
    var cell = field(row, "product").parentNode;
    var note = cell.querySelector(".line-warning");
    if (!text) { if (note) { note.remove(); } return; }
    if (!note) {
      note = document.createElement("span");
      note.className = "line-warning";
      cell.appendChild(note);
    }
    setText(note, text);
  }

  // One line's figures, or null when it is not (yet) a line.
  function lineFigures(row, position) {
    var del = field(row, "DELETE");
    row.classList.toggle("removed", !!(del && del.checked));
    var output = row.querySelector(".line-amount");
    var figures = lineFiguresOf(row);
    setText(output, figures ? format(figures.net) : "");
    warn(row, figures ? figures.warning : (row.lineWarning || ""));
    if (figures) { figures.position = position; }
    return figures;
  }

  function lineFiguresOf(row) {
    var del = field(row, "DELETE");
    row.lineWarning = "";
    if (del && del.checked) { return null; }
    var option = chosen(row);
    var quantity = parse(field(row, "quantity").value);
    if (!option || !quantity) { return null; }
    var list = listPrice(option);
    var typed = field(row, "unit_price").value.trim();
    var price = typed ? parse(typed) : list;
    if (!price) {
      row.lineWarning = typed ? "Not a price." : "No list price in this frequency: enter a unit price.";
      return null;
    }
    var warning = "";
    if (option.getAttribute("data-counted") === "1" && quantity.v % pow10(quantity.s) !== BigInt(0)) {
      warning = "Counted in whole " + option.getAttribute("data-unit") + "s: enter a whole number.";
    }
    var discountText = field(row, "discount_percent").value.trim();
    var discountPct = discountText ? parse(discountText) : { v: BigInt(0), s: 0 };
    if (!discountPct) { return null; }
    var gross = quantize(mul(quantity, price), places, "up");
    var discount = quantize({ v: gross.v * discountPct.v, s: gross.s + discountPct.s + 2 }, places, "up");
    var net = { v: gross.v - discount.v, s: places };
    // Against the price book: a unit price under the list price is a discount too.
    var effective = discountPct;
    var listGross = gross;
    if (list && list.v > BigInt(0)) {
      var listAmount = mul(quantity, list);
      var below = percentOf({ v: scaleTo(listAmount, Math.max(listAmount.s, places)).v -
        scaleTo(net, Math.max(listAmount.s, places)).v, s: Math.max(listAmount.s, places) }, listAmount);
      if (cmp(below, effective) > 0) { effective = below; }
      if (cmp(list, price) > 0) { listGross = quantize(listAmount, places, "up"); }
    }
    return {
      warning: warning, name: option.getAttribute("data-label"), gross: gross,
      discount: discount, net: net, effective: effective, listGross: listGross
    };
  }

  function rulesFired(lines, total, listSubtotal) {
    var hits = [];
    var quoteDiscount = listSubtotal.v === BigInt(0) ? { v: BigInt(0), s: 2 }
      : percentOf({ v: listSubtotal.v - total.v, s: places }, listSubtotal);
    config.rules.forEach(function (rule) {
      var threshold = parse(rule.threshold);
      if (rule.kind === "line_discount") {
        lines.forEach(function (line) {
          if (cmp(line.effective, threshold) > 0) {
            hits.push(rule.name + ": line " + line.position + " is discounted " +
              format(quantize(line.effective, 2, "even")) + "% (limit " +
              format(quantize(threshold, 2, "even")) + "%)");
          }
        });
      } else if (rule.kind === "quote_discount" && cmp(quoteDiscount, threshold) > 0) {
        hits.push(rule.name + ": the whole quote is discounted " + format(quoteDiscount) +
          "% (limit " + format(quantize(threshold, 2, "even")) + "%)");
      } else if (rule.kind === "total_amount" && cmp(total, threshold) > 0) {
        hits.push(rule.name + ": the total " + money(total) + " is over " +
          money(quantize(threshold, places, "up")));
      }
    });
    return hits;
  }

  function recalc() {
    var lines = [], position = 0;
    rowsBody.querySelectorAll("tr.line-row").forEach(function (row) {
      var figures = lineFigures(row, position + 1);
      if (figures) { position += 1; lines.push(figures); }
    });
    var subtotal = ZERO, discount = ZERO, listSubtotal = ZERO;
    lines.forEach(function (l) {
      subtotal = { v: subtotal.v + l.gross.v, s: places };
      discount = { v: discount.v + l.discount.v, s: places };
      listSubtotal = { v: listSubtotal.v + l.listGross.v, s: places };
    });
    var total = { v: subtotal.v - discount.v, s: places };
    var freq = frequency();
    setText(document.getElementById("preview-basis"),
      "As typed, not yet saved: the server works the totals out again when you save.");
    setText(document.getElementById("preview-subtotal"), money(subtotal));
    setText(document.getElementById("preview-discount"), "\u2212" + money(discount));
    setText(document.getElementById("preview-total"), money(total));
    setText(document.getElementById("preview-covers"), config.covers[freq] || "");
    var months = config.period_months[freq], term = parseInt(termInput.value, 10);
    var termCell = document.getElementById("preview-term");
    if (months && term > months) {
      // total × term / months, rounded once, like quotes/periods.term_value.
      var value = { v: divRound(total.v * BigInt(term), BigInt(months), "up"), s: places };
      setText(termCell, money(value) + " (" + term + " months)");
    } else {
      setText(termCell, "\u2014");
    }
    var hits = rulesFired(lines, total, listSubtotal);
    var key = JSON.stringify(hits);
    if (key === lastRules) { return; }
    lastRules = key;
    var box = document.getElementById("preview-rules");
    box.textContent = "";
    var p = document.createElement("p");
    if (hits.length) {
      p.className = "fires";
      p.textContent = "Submitting sends this quote to deal desk first:";
      var ul = document.createElement("ul");
      hits.forEach(function (h) {
        var li = document.createElement("li");
        li.textContent = h;
        ul.appendChild(li);
      });
      box.appendChild(p);
      box.appendChild(ul);
    } else {
      p.className = "clear";
      p.textContent = "No approval rule would fire: submitting sends it straight to the customer.";
      box.appendChild(p);
    }
  }

  function renumber() {
    var n = 0;
    rowsBody.querySelectorAll("tr.line-row").forEach(function (row) {
      n += 1;
      row.querySelector(".line-number").textContent = String(n);
    });
  }

  function addRow() {
    var index = parseInt(totalForms.value, 10);
    var html = template.innerHTML.replace(/__prefix__/g, String(index));
    var holder = document.createElement("tbody");
    holder.innerHTML = html.trim();
    var row = holder.querySelector("tr");
    rowsBody.appendChild(row);
    totalForms.value = String(index + 1);
    renumber();
    relabel();
    var select = field(row, "product");
    if (select) { select.focus(); }
    recalc();
  }

  document.getElementById("add-line").addEventListener("click", function (event) {
    event.preventDefault();
    addRow();
  });
  form.addEventListener("input", recalc);
  form.addEventListener("change", function (event) {
    if (event.target === frequencySelect) { relabel(); }
    recalc();
  });
  relabel();
  recalc();
}());
