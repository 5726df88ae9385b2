"""Reading text: sentences with offsets, word keys and stemming, values (dates,
numbers, money, names), question analysis. No stage logic, no I/O."""
