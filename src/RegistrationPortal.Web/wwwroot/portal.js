// The browser's time zone, for the pages to show times in (see AdminClock): read on every page, sign-in included.
try {
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone) {
        document.cookie = `portal.tz=${encodeURIComponent(zone)}; path=/; samesite=lax; max-age=31536000`;
    }
} catch {
    // No Intl time zone: the pages show UTC.
}

// Whether the focus is lost: on nothing, or fallen back to the page itself.
const focusLost = () => !document.activeElement || document.activeElement === document.body;

// Small page helpers the Blazor components call.
window.portal = {
    // Gives the focus to the enabled button or link of that accessible name (its aria-label, else its text), when the
    // focus was lost. A dialog gives the focus back to the button that opened it, but when the action it confirmed
    // reloads the grid that button sat in, the button is a new one and the focus fell to the page: the page then asks
    // for it by name. A focus anywhere else was put there (by the dialog, or by a quick person who moved on) and stays.
    // Answers whether the focus is settled: false only when it was lost and no such button is there.
    focusByName(name) {
        if (!focusLost()) {
            return true;
        }

        const nameOf = e => e.getAttribute('aria-label') ?? e.textContent.trim();
        const target = [...document.querySelectorAll('button, a[href]')].find(e => !e.disabled && nameOf(e) === name);
        target?.focus();
        return target !== undefined;
    },

    // Gives the page's heading the focus after the router showed a page, so a screen reader starts there, unless the
    // person has already chosen a place on the new page: a fast typist may be in its search box, or in the dialog a
    // button opened, by the time this runs. On the first render of a circuit the page has been on screen
    // (prerendered) for a while, so any focus at all is their choice; after a navigation, only a focus still on the
    // menu or bar they navigated from moves to the heading.
    focusHeading(selector, firstRenderOfCircuit) {
        const heading = document.querySelector(selector);
        if (!heading) {
            return false;
        }

        const focused = document.activeElement;
        const lost = focusLost() || focused === heading;
        if (!lost && (firstRenderOfCircuit || !focused.closest('header, nav, aside, .mud-appbar, .mud-drawer'))) {
            return false;
        }

        if (!heading.hasAttribute('tabindex')) {
            heading.tabIndex = -1;
        }

        heading.focus({ preventScroll: true });
        return true;
    },

    // Brings the element of that id to the top of the screen, unless it is wholly in view already, and gives it the
    // focus (it has tabindex -1), so a screen reader reads it next.
    showElement(id) {
        const target = document.getElementById(id);
        if (!target) {
            return false;
        }

        const box = target.getBoundingClientRect();
        const top = parseFloat(getComputedStyle(target).scrollMarginTop) || 0;
        if (box.top < top || box.bottom > window.innerHeight) {
            target.scrollIntoView({ block: 'start' });
        }

        target.focus({ preventScroll: true });
        return true;
    },
};
