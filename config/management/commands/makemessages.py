"""Django's ``makemessages`` without msgmerge's fuzzy matching.

msgmerge marks a new message "fuzzy" with the translation of a similar old one ("hashed key"
given the translation of "hashed password"): wrong more often than not for short labels, and
never shown anyway (a fuzzy translation is left out of the compiled catalog). A new message
comes in untranslated instead, for a translator to see.
"""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    msgmerge_options = [*makemessages.Command.msgmerge_options, "--no-fuzzy-matching"]
