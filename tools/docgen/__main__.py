"""`make docs`: rewrites the generated parts of every page (see docgen/__init__.py)."""

from __future__ import annotations

from checkout import ROOT

from docgen.all_pages import PAGES


def main() -> None:
    for generated in PAGES:
        text = generated.page.read_text()
        fresh = generated.render(text)
        if fresh != text:
            generated.page.write_text(fresh)
            print(f"rewrote {generated.page.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
