// The browser's time zone, for the pages to show times in (see AdminClock): read on every page, sign-in included.
try {
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone) {
        document.cookie = `portal.tz=${encodeURIComponent(zone)}; path=/; samesite=lax; max-age=31536000`;
    }
} catch {
    // No Intl time zone: the pages show UTC.
}

// Small page helpers the Blazor components call.
window.portal = {
    // Gives the focus to the enabled button or link of that accessible name (its aria-label, else its text). A dialog
    // gives the focus back to the button that opened it, but when the action it confirmed reloads the grid that button
    // sat in, the button is a new one: the page then asks for it by name.
    focusByName(name) {
        const nameOf = e => e.getAttribute('aria-label') ?? e.textContent.trim();
        const target = [...document.querySelectorAll('button, a[href]')].find(e => !e.disabled && nameOf(e) === name);
        target?.focus();
        return target !== undefined;
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
