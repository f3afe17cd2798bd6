"""picks"""
