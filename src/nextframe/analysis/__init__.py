"""Analyses of trained denoisers and the analytic references they are checked against."""
