"""The Thinkorswim provider: a pure workbook reader, a watcher process and the HTTP endpoint.

Traders feed TOS quotes into Excel with `=RTD("tos.rtd",,"LAST","/ES:XCME")` formulas and
save the workbook periodically; LiveData reads the values Excel cached at its last save.
"""
