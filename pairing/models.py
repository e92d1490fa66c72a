"""Pairing codes and observer links (issue 3) live here; this app may use courses and accounts."""
