"""The two portals (client, provider) and what they share."""
