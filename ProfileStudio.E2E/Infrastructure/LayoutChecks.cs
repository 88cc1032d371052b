using Microsoft.Playwright;

namespace ProfileStudio.E2E.Infrastructure;

/// <summary>What a person reading a page at its size would call broken, measured in the browser.</summary>
public static class LayoutChecks
{
    /// <summary>
    /// Words shorter than this must stay on one line in a table cell; longer ones (URLs, ids, long
    /// e-mails) may wrap. The same figure as <c>TextWrapping.LongWord</c> in the app.
    /// </summary>
    public const int LongWord = 24;

    /// <summary>Tables wider than their box: columns hidden behind a scroll.</summary>
    public static async Task<IReadOnlyList<string>> OverflowingTablesAsync(IPage page) =>
        await page.EvaluateAsync<string[]>("""
            () => [...document.querySelectorAll('.mud-table-container, .mud-table-root, .mud-simple-table')]
                .filter(e => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1)
                .map(e => `table ${e.scrollWidth}px wide in a ${e.clientWidth}px box: ${[...e.querySelectorAll('th')].map(t => t.textContent.trim()).filter(t => t).join(' | ')}`)
            """);

    /// <summary>
    /// Words in a table cell laid out on more than one line ("syste / m", "127.0 / .0.1"): a squeezed
    /// column, or a break at a hyphen inside an identifier. A word is a run of non-space characters in
    /// one text node; its line boxes are the distinct lines of the range's client rectangles.
    /// </summary>
    public static async Task<IReadOnlyList<string>> CutWordsAsync(IPage page) =>
        await page.EvaluateAsync<string[]>("""
            longWord => {
                const cut = [];
                for (const cell of document.querySelectorAll('td, th')) {
                    if (cell.offsetParent === null) continue;
                    const table = cell.closest('table');
                    const header = table?.tHead?.rows[0]?.cells[cell.cellIndex];
                    const column = (header && header !== cell ? header.textContent.trim() : '') || cell.dataset.label || `column ${cell.cellIndex + 1}`;
                    const texts = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
                    for (let node; (node = texts.nextNode());) {
                        if (node.parentElement.closest('td, th') !== cell) continue; // a nested table's cell is checked on its own
                        for (const word of node.textContent.matchAll(/\S+/g)) {
                            if (word[0].length >= longWord) continue;
                            const range = document.createRange();
                            range.setStart(node, word.index);
                            range.setEnd(node, word.index + word[0].length);
                            const lines = [];
                            for (const r of range.getClientRects()) {
                                if (r.width > 0 && r.height > 0 && !lines.some(top => Math.abs(top - r.top) < r.height / 2)) lines.push(r.top);
                            }
                            if (lines.length > 1) cut.push(`column "${column}" breaks "${word[0]}" over ${lines.length} lines`);
                        }
                    }
                }
                return [...new Set(cut)];
            }
            """, LongWord);
}
