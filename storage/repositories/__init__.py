"""Small query functions per aggregate. They take a keyword-only ``session`` and never commit:
the service that calls them owns the transaction.

Use them as modules: ``from storage.repositories import faq; await faq.create(session=s, ...)``.
"""
