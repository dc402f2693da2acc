"""Merchants, billers and price points the demo bank's customers pay.

Amounts are (low, high) in dollars; a purchase draws uniformly in cents between them.
Categories used across OpenTeller (documented in docs/architecture.md):
income, housing, utilities, groceries, dining, fuel, transport, shopping, entertainment,
subscriptions, health, travel, transfer, card_payment, loan, fees, interest, p2p, cash.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Merchant:
    name: str
    category: str
    low: str
    high: str


GROCERIES = [
    Merchant("Kroger", "groceries", "18.00", "185.00"),
    Merchant("Whole Foods Market", "groceries", "22.00", "210.00"),
    Merchant("Trader Joe's", "groceries", "15.00", "120.00"),
    Merchant("Safeway", "groceries", "20.00", "170.00"),
    Merchant("Aldi", "groceries", "12.00", "95.00"),
    Merchant("Costco Wholesale", "groceries", "60.00", "320.00"),
]
DINING = [
    Merchant("Starbucks", "dining", "4.25", "14.80"),
    Merchant("Chipotle Mexican Grill", "dining", "9.50", "31.00"),
    Merchant("Olive Garden", "dining", "28.00", "96.00"),
    Merchant("Sweetgreen", "dining", "11.00", "24.00"),
    Merchant("Panera Bread", "dining", "8.75", "27.50"),
    Merchant("DoorDash", "dining", "18.00", "64.00"),
    Merchant("Shake Shack", "dining", "12.00", "38.00"),
    Merchant("Local Pizzeria", "dining", "16.00", "42.00"),
]
FUEL = [
    Merchant("Shell", "fuel", "28.00", "74.00"),
    Merchant("Chevron", "fuel", "30.00", "78.00"),
    Merchant("ExxonMobil", "fuel", "26.00", "70.00"),
    Merchant("BP", "fuel", "25.00", "68.00"),
]
TRANSPORT = [
    Merchant("Uber", "transport", "9.00", "46.00"),
    Merchant("Lyft", "transport", "8.50", "41.00"),
    Merchant("Metro Transit", "transport", "2.75", "33.00"),
]
SHOPPING = [
    Merchant("Amazon", "shopping", "9.99", "189.00"),
    Merchant("Target", "shopping", "14.00", "160.00"),
    Merchant("Walmart", "shopping", "11.00", "140.00"),
    Merchant("Home Depot", "shopping", "19.00", "260.00"),
    Merchant("Best Buy", "shopping", "24.00", "420.00"),
    Merchant("IKEA", "shopping", "35.00", "380.00"),
]
HEALTH = [
    Merchant("CVS Pharmacy", "health", "6.50", "58.00"),
    Merchant("Walgreens", "health", "5.75", "52.00"),
    Merchant("Planet Fitness", "health", "24.99", "24.99"),
]
ENTERTAINMENT = [
    Merchant("AMC Theatres", "entertainment", "14.00", "48.00"),
    Merchant("Ticketmaster", "entertainment", "45.00", "240.00"),
    Merchant("Steam", "entertainment", "4.99", "59.99"),
]

# (merchant, monthly price before, price after an increase) for recurring subscriptions.
SUBSCRIPTIONS = [
    ("Netflix", "15.49", "17.99"),
    ("Spotify", "11.99", "12.99"),
    ("Hulu", "17.99", "18.99"),
    ("Disney+", "13.99", "15.99"),
    ("Apple iCloud+", "2.99", "2.99"),
    ("YouTube Premium", "13.99", "15.99"),
    ("Amazon Prime", "14.99", "14.99"),
    ("New York Times", "25.00", "25.00"),
    ("Peloton App", "12.99", "24.00"),
    ("Adobe Creative Cloud", "59.99", "59.99"),
]

# Utilities: (biller, low, high); internet and phone are fixed-price.
UTILITIES = [
    ("City Power & Light", "58.00", "185.00"),
    ("Metro Water Utility", "32.00", "78.00"),
    ("Comcast Xfinity", "79.99", "79.99"),
    ("Verizon Wireless", "65.00", "65.00"),
]

# Places far from home for unusual-transaction planting: (merchant, location, low, high).
UNUSUAL = [
    ("Electronics Bazaar", "Lagos, NG", "780.00", "2400.00"),
    ("Jewelry Palace", "Bucharest, RO", "950.00", "3200.00"),
    ("Crypto Exchange Kiosk", "Manila, PH", "600.00", "1900.00"),
    ("Luxury Watches Ltd", "Hong Kong, HK", "1200.00", "4100.00"),
    ("Online Gift Cards", "Minsk, BY", "500.00", "1500.00"),
]

EMPLOYERS_SUFFIX = ("Payroll", "Inc Payroll", "LLC Direct Dep")
LANDLORDS = ("Parkview Apartments", "Maple Court Residences", "Riverside Property Mgmt")
MORTGAGE_SERVICERS = ("Rocket Mortgage", "Mr. Cooper", "Wells Fargo Home Mortgage")
