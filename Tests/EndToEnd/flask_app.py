"""A minimal Flask + Flask-SQLAlchemy + Flask-JWT-Extended application laid
out as the tutorial in shared/seed (its User model, its db.create_all()),
with the id default fixed to a fresh UUID4 per row."""
from uuid import uuid4

from flask import Flask, jsonify
from flask_jwt_extended import (JWTManager, create_access_token, create_refresh_token, get_jwt,
                                get_jwt_identity, jwt_required)
from flask_sqlalchemy import SQLAlchemy
from werkzeug.security import check_password_hash, generate_password_hash


def create_app(secret, database_uri="sqlite:///db.sqlite", instance_path=None, **jwt_settings):
    """`jwt_settings`: more Flask-JWT-Extended settings (JWT_ALGORITHM,
    JWT_PRIVATE_KEY, JWT_PUBLIC_KEY, ...)."""
    app = Flask(__name__, instance_path=instance_path)
    app.config.update(JWT_SECRET_KEY=secret, SQLALCHEMY_DATABASE_URI=database_uri, TESTING=True, **jwt_settings)
    db = SQLAlchemy(app)
    JWTManager(app)

    class User(db.Model):
        __tablename__ = "users"
        id = db.Column(db.String(), primary_key=True, default=lambda: str(uuid4()))
        username = db.Column(db.String(), nullable=False)
        email = db.Column(db.String(), nullable=False)
        password = db.Column(db.Text(), nullable=False)

        def set_password(self, password):
            self.password = generate_password_hash(password)

        def check_password(self, password):
            return check_password_hash(self.password, password)

    @app.get("/protected")
    @jwt_required()
    def protected():
        claims = get_jwt()
        return jsonify(identity=get_jwt_identity(), type=claims["type"], fresh=claims["fresh"])

    @app.get("/refresh-protected")
    @jwt_required(refresh=True)
    def refresh_protected():
        return jsonify(identity=get_jwt_identity(), type=get_jwt()["type"])

    @app.get("/issue/<username>")
    def issue(username):
        return jsonify(access=create_access_token(identity=username, fresh=True),
                       refresh=create_refresh_token(identity=username))

    app.db = db
    app.User = User
    return app


def add_user(app, username, email, password, method=None):
    with app.app_context():
        user = app.User(username=username, email=email)
        if method:
            user.password = generate_password_hash(password, method=method)
        else:
            user.set_password(password)
        app.db.session.add(user)
        app.db.session.commit()


def all_rows(app):
    with app.app_context():
        return sorted((u.id, u.username, u.email, u.password) for u in app.User.query.all())
