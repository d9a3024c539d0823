"""The currencies the vendor bills in. Accounts are the lowest app that needs them (an account has
a currency), so they live here; ``quotes.money`` does the arithmetic with them."""

# ISO 4217 minor units for the currencies the vendor bills in. A currency missing here cannot be
# quoted: guessing a minor unit would mis-state amounts.
MINOR_UNITS: dict[str, int] = {
    "USD": 2,
    "EUR": 2,
    "GBP": 2,
    "CAD": 2,
    "AUD": 2,
    "CHF": 2,
    "SEK": 2,
    "INR": 2,
    "JPY": 0,
    "KRW": 0,
    "BHD": 3,
    "KWD": 3,
}
CURRENCY_CHOICES = [(code, code) for code in sorted(MINOR_UNITS)]
