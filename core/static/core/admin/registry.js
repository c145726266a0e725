// Accessibility fixes for every page of the registry's admin (templates/admin/base_site.html).
'use strict';
{
    // The admin's autocomplete boxes (select2) hide the labelled <select> and show a box whose
    // name assistive technology reads from its selected text, which is empty until something
    // is chosen: name each box by the <select>'s label, for the boxes on the page and those an
    // "Add another" row brings.
    function labelAutocompletes(root) {
        root.querySelectorAll('select.admin-autocomplete').forEach(function(select) {
            const label = select.id && document.querySelector('label[for="' + select.id + '"]');
            const box = select.nextElementSibling;
            if (!label || !box || !box.classList.contains('select2')) {
                return;
            }
            if (!label.id) {
                label.id = select.id + '-label';
            }
            // A box of several choices types its search into an input of its own.
            box.querySelectorAll('.select2-search__field').forEach(function(input) {
                input.setAttribute('aria-labelledby', label.id);
            });
            const rendered = box.querySelector('.select2-selection__rendered');
            const selection = box.querySelector('.select2-selection');
            if (rendered && rendered.id) {
                rendered.setAttribute('aria-labelledby', label.id);
                if (selection) {
                    selection.setAttribute('aria-labelledby', label.id + ' ' + rendered.id);
                }
            }
        });
    }

    // On a narrow screen a wide table scrolls inside its box (core/admin/registry.css). A box
    // that scrolls and holds nothing focusable is made focusable, so it can be scrolled with
    // the keyboard; it stops being a tab stop when the window is wide enough again.
    const SCROLLERS = '#content fieldset.module, #content .inline-group .tabular';
    const FOCUSABLE = 'a[href], button, input, select, textarea, [tabindex]';
    function keyboardScrollers() {
        document.querySelectorAll(SCROLLERS).forEach(function(box) {
            const scrolls = box.scrollWidth > box.clientWidth + 1;
            if (scrolls && !box.hasAttribute('tabindex') && !box.querySelector(FOCUSABLE)) {
                box.setAttribute('tabindex', '0');
                box.dataset.keyboardScroller = 'on';
            } else if (!scrolls && box.dataset.keyboardScroller) {
                box.removeAttribute('tabindex');
                delete box.dataset.keyboardScroller;
            }
        });
    }

    // The admin's two-box selector (filter_horizontal) puts an aria-label on a bare <span> (its
    // magnifier icon), where the attribute means nothing: give it the role of an image.
    function iconsAsImages() {
        document.querySelectorAll('span.help-tooltip[aria-label]:not([role])').forEach(function(icon) {
            icon.setAttribute('role', 'img');
        });
    }

    // After the admin's own handlers, which create the boxes on the same events.
    document.addEventListener('DOMContentLoaded', function() {
        setTimeout(function() {
            labelAutocompletes(document);
            keyboardScrollers();
        });
    });
    document.addEventListener('formset:added', function(event) {
        setTimeout(function() { labelAutocompletes(event.target); });
    });
    window.addEventListener('resize', keyboardScrollers);
    // The two-box selectors are built on "load".
    window.addEventListener('load', function() {
        setTimeout(function() {
            iconsAsImages();
            labelAutocompletes(document);
            keyboardScrollers();
        });
    });
}
