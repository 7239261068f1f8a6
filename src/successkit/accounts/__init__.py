"""Customers and the people around them: companies, relationships, users, people, custom fields."""
