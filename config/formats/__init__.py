"""Date and time formats per language (``FORMAT_MODULE_PATH``): one format per language, the
same one a date is shown in and typed in, so a page never mixes "May 3, 2022", "2022-05-03" and
"03.05.2022". What is not set here is Django's own for the language."""
