"""Services and eligibility, service points and partners, referrals, trafficking status history."""
