"""policykg.queries stage."""
