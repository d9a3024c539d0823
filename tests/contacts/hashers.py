from django.contrib.auth.hashers import MD5PasswordHasher


class CountingHasher(MD5PasswordHasher):
    """Counts password-hashing work, to show every failed sign-in costs the same."""

    algorithm = "counting_md5"
    calls = 0

    def encode(self, password, salt):
        type(self).calls += 1
        return super().encode(password, salt).replace("md5$", "counting_md5$", 1)

    def verify(self, password, encoded):
        type(self).calls += 1
        return super().verify(password, encoded.replace("counting_md5$", "md5$", 1))
