#!/usr/bin/env python3
"""QuantLib 1.29 reference values for tests/Rules.Tests/Pricing/AmericanQuantLibSpotTests.cs.

Same setup as generate_vectors.py (K = 100, t = days/365, QdFpAmericanEngine with the
high-precision scheme). Vega and rho are central differences of that engine with h = 1e-4.
Run with Debian's interpreter: /usr/bin/python3 tools/quantlib/spot_checks.py
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import generate_vectors as g  # noqa: E402
import QuantLib as ql  # noqa: E402

H = 1e-4


def npv(right, s, days, r, q, v, k=100.0):
    quote = ql.SimpleQuote(s)
    opt = ql.VanillaOption(ql.PlainVanillaPayoff(g.ql_right(right), k), ql.AmericanExercise(g.TODAY, g.TODAY + days))
    opt.setPricingEngine(ql.QdFpAmericanEngine(g.process(quote, r, q, v), ql.QdFpAmericanEngine.highPrecisionScheme()))
    return opt.NPV()


print("# low vol, high rate: price")
for right, s, d, r, q, v in [("put", 100.0, 730, 0.08, 0.0, 0.08), ("put", 100.0, 730, 0.1, 0.0, 0.06),
                             ("put", 103.0, 281, 0.09, 0.0, 0.055), ("call", 88.0, 1025, 0.0, 0.075, 0.088),
                             ("put", 99.0, 686, 0.09, 0.015, 0.075)]:
    print(right, s, d, r, q, v, repr(npv(right, s, d, r, q, v)))

print("# vega, rho (central differences)")
for right, s, d, r, q, v in [("put", 50.0, 91, 0.045, 0.0, 0.9), ("put", 100.0, 730, 0.045, 0.0, 0.08),
                             ("call", 105.0, 182, 0.045, 0.03, 0.08), ("call", 105.0, 182, 0.045, 0.03, 0.9),
                             ("call", 200.0, 730, 0.045, 0.03, 0.4)]:
    vega = (npv(right, s, d, r, q, v + H) - npv(right, s, d, r, q, v - H)) / (2 * H)
    rho = (npv(right, s, d, r + H, q, v) - npv(right, s, d, r - H, q, v)) / (2 * H)
    print(right, s, d, r, q, v, repr(vega), repr(rho))
