// circles-hinge index.html: filter the folders by kind and loss, sort by any column. Plain JavaScript,
// no library, no network (report.js, which the reports carry, is not needed here).
"use strict";
(function () {
  // --- the index: filter by kind and loss, sort by any column ---------------------------------------
  // Test accuracy sorts by the loss the filter picks, else by each row's best loss.
  function initIndex() {
    const table = document.getElementById("runs");
    if (!table) return;
    const body = table.tBodies[0];
    const rows = Array.from(body.rows);
    const kind = document.getElementById("filter-kind");
    const loss = document.getElementById("filter-loss");
    const count = document.getElementById("shown-count");
    function filter() {
      let shown = 0;
      rows.forEach((r) => {
        const ok = (!kind.value || r.dataset.kind === kind.value) &&
          (!loss.value || r.dataset.losses.split(",").includes(loss.value));
        r.hidden = !ok;
        if (ok) shown++;
      });
      count.textContent = shown + " of " + rows.length + " shown";
    }
    kind.addEventListener("change", filter);
    loss.addEventListener("change", filter);
    Array.from(table.tHead.rows[0].cells).forEach((th, col) => {
      if (!th.dataset.sort) return;
      th.tabIndex = 0;
      th.setAttribute("role", "button");
      const key = (r) => {
        const cell = r.cells[col];
        if (cell.dataset.accuracies && loss.value) {
          const v = JSON.parse(cell.dataset.accuracies)[loss.value];
          return v === undefined || v === null ? "" : String(v);
        }
        return cell.dataset.value ?? cell.textContent;
      };
      const sortBy = () => {
        const down = th.getAttribute("aria-sort") !== "descending";
        Array.from(table.tHead.rows[0].cells).forEach((c) => c.removeAttribute("aria-sort"));
        th.setAttribute("aria-sort", down ? "descending" : "ascending");
        const numericCol = th.dataset.sort === "number";
        rows.sort((a, b) => {
          let x = key(a), y = key(b);
          if (numericCol) { x = x === "" ? -Infinity : Number(x); y = y === "" ? -Infinity : Number(y); }
          const c = x < y ? -1 : x > y ? 1 : 0;
          return down ? -c : c;
        });
        rows.forEach((r) => body.appendChild(r));
      };
      th.addEventListener("click", sortBy);
      th.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sortBy(); } });
    });
    filter();
  }

  initIndex();
})();
