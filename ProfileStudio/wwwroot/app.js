// The navigation drawer scrolls when the window is shorter than the menu: the current page's item, when out
// of view, is scrolled to the drawer's middle (an Admin page's item was below the fold at 1280 x 800).
window.studioNav = {
    reveal(href) {
        const link = [...document.querySelectorAll('.studio-nav a')].find(a => a.getAttribute('href') === href);
        const drawer = link?.closest('.mud-drawer');
        if (!drawer) return;
        const box = drawer.getBoundingClientRect();
        const item = link.getBoundingClientRect();
        if (item.top < box.top || item.bottom > Math.min(box.bottom, window.innerHeight)) {
            link.scrollIntoView({ block: 'center' });
        }
    },
};
