"""content_store"""
