DROP INDEX petition_images_image;
DROP TABLE organization_logos;
