"""policykg.visualize stage."""
